package dev.imagery.local.iam;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The IAM side of least privilege: which action an SDK operation needs, and which of Imagery's resources (by role:
 * Table, Index, JobsQueue, DeadLetterQueue, Bucket, RawObjects, ProcessedObjects) a policy's resource names.
 * A grant is written {@code "action Resource"}, e.g. {@code "dynamodb:Query Index"}.
 */
final class IamGrants {

  /**
   * S3 operations whose IAM action has another name. Multipart uploads are authorised as s3:PutObject, HeadObject as
   * s3:GetObject and HeadBucket as s3:ListBucket (service authorization reference for Amazon S3).
   */
  private static final Map<String, String> S3_ACTIONS = Map.ofEntries(
      Map.entry("CreateMultipartUpload", "s3:PutObject"),
      Map.entry("UploadPart", "s3:PutObject"),
      Map.entry("CompleteMultipartUpload", "s3:PutObject"),
      Map.entry("HeadObject", "s3:GetObject"),
      Map.entry("HeadBucket", "s3:ListBucket"),
      Map.entry("ListObjectsV2", "s3:ListBucket"),
      Map.entry("ListObjects", "s3:ListBucket"),
      Map.entry("ListMultipartUploads", "s3:ListBucketMultipartUploads"),
      Map.entry("ListParts", "s3:ListMultipartUploadParts"),
      Map.entry("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
      Map.entry("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
      Map.entry("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
      Map.entry("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
      Map.entry("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
      Map.entry("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"));

  private static final Pattern SUB_ARN = Pattern.compile("^\\$\\{(\\w+)\\.Arn\\}(/.*)?$");
  private static final Pattern SUB_BUCKET = Pattern.compile("^arn:\\$\\{AWS::Partition\\}:s3:::\\$\\{(\\w+)\\}(/.*)?$");

  private IamGrants() {
  }

  /** {@code "s3:UploadPart RawObjects"} (as recorded) to {@code "s3:PutObject RawObjects"}. */
  static String fromRecorded(String operationAndResource) {
    String[] parts = operationAndResource.split(" ", 2);
    String[] serviceAndOperation = parts[0].split(":", 2);
    String service = serviceAndOperation[0];
    String operation = serviceAndOperation[1];
    String action = service.equals("s3")
        ? S3_ACTIONS.getOrDefault(operation, "s3:" + operation)
        : service + ":" + operation;
    return action + " " + parts[1];
  }

  static Set<String> fromRecorded(Set<String> recorded) {
    Set<String> grants = new TreeSet<>();
    recorded.forEach(call -> grants.add(fromRecorded(call)));
    return grants;
  }

  /** The role of the resource a policy statement names, e.g. {@code !Sub '${Bucket.Arn}/raw/*'} is RawObjects. */
  @SuppressWarnings("unchecked")
  static String resourceRole(CloudFormationTemplate template, Object resource) {
    if (resource instanceof Map<?, ?> map && map.containsKey("Fn::GetAtt")) {
      List<Object> getAtt = (List<Object>) map.get("Fn::GetAtt");
      if ("Arn".equals(getAtt.get(1))) {
        return roleOf(template, (String) getAtt.get(0), "");
      }
    }
    if (resource instanceof Map<?, ?> map && map.get("Fn::Sub") instanceof String sub) {
      Matcher arn = SUB_ARN.matcher(sub);
      if (arn.matches()) {
        return roleOf(template, arn.group(1), arn.group(2) == null ? "" : arn.group(2));
      }
      Matcher bucket = SUB_BUCKET.matcher(sub);
      if (bucket.matches()) {
        return roleOf(template, bucket.group(1), bucket.group(2) == null ? "" : bucket.group(2));
      }
    }
    return "Unrecognised:" + resource;
  }

  private static String roleOf(CloudFormationTemplate template, String logicalId, String suffix) {
    String type = template.type(logicalId);
    return switch (type) {
      case "AWS::DynamoDB::Table" -> switch (suffix) {
        case "" -> "Table";
        case "/index/awaiting-index" -> "Index";
        default -> "Unrecognised:" + logicalId + suffix;
      };
      case "AWS::SQS::Queue" -> suffix.isEmpty()
          ? (isDeadLetterQueue(template, logicalId) ? "DeadLetterQueue" : "JobsQueue")
          : "Unrecognised:" + logicalId + suffix;
      case "AWS::S3::Bucket" -> switch (suffix) {
        case "" -> "Bucket";
        case "/raw/*" -> "RawObjects";
        case "/processed/*" -> "ProcessedObjects";
        default -> "Unrecognised:" + logicalId + suffix;
      };
      default -> "Unrecognised:" + type + " " + logicalId + suffix;
    };
  }

  /** The queue another queue's RedrivePolicy names as its dead-letter target. */
  @SuppressWarnings("unchecked")
  private static boolean isDeadLetterQueue(CloudFormationTemplate template, String logicalId) {
    return template.resources().values().stream()
        .filter(r -> "AWS::SQS::Queue".equals(r.get("Type")))
        .map(r -> CloudFormationTemplate.properties(r).get("RedrivePolicy"))
        .filter(policy -> policy instanceof Map<?, ?>)
        .map(policy -> ((Map<String, Object>) policy).get("deadLetterTargetArn"))
        .anyMatch(target -> target instanceof Map<?, ?> getAtt
            && getAtt.get("Fn::GetAtt") instanceof List<?> parts && logicalId.equals(parts.get(0)));
  }
}
