package dev.imagery.shared.provision;

import static dev.imagery.shared.provision.Calls.call;
import static dev.imagery.shared.provision.Calls.unwrap;

import dev.imagery.shared.image.ObjectKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.ServerSideEncryptionRule;

/**
 * The S3 bucket, as the production template has it: private (all four public access blocks), encrypted by
 * default with SSE-S3, a lifecycle rule that aborts multipart uploads left incomplete for a day (an API killed
 * mid-upload leaves parts that S3 keeps, and bills, until then), and with a retention ({@code IMAGERY_RETENTION_DAYS})
 * one rule per key root ({@code raw/}, {@code processed/}) that expires objects that many days after they were written.
 *
 * <p>Public access block and encryption are set only on a bucket this call creates. The lifecycle rules are also
 * put on an existing bucket, but only one with no lifecycle configuration, or with Imagery's own rules alone (so a
 * changed retention takes effect at the next start): the put replaces the whole configuration, so a bucket with
 * rules of its own is left alone (WARN when none of them aborts uploads, or when the retention's rules are missing).
 *
 * <p>S3Proxy answers 501 NotImplemented to the lifecycle and public access block calls; that is logged at INFO
 * and skipped. No other error is.
 */
final class BucketProvisioner {

  private static final Logger LOG = LoggerFactory.getLogger(BucketProvisioner.class);

  /** As in deploy/ecs/imagery.yaml. */
  static final String ABORT_RULE_ID = "abort-incomplete-multipart-uploads";
  static final int ABORT_AFTER_DAYS = 1;
  /** As in deploy/ecs/imagery.yaml: {@code expire-raw}, {@code expire-processed}. */
  static final String EXPIRE_RULE_PREFIX = "expire-";
  /** A new bucket can answer NoSuchBucket for a moment on AWS (bucket creation is eventually consistent). */
  private static final Duration NEW_BUCKET_RETRY_INTERVAL = Duration.ofSeconds(1);
  private static final Duration NEW_BUCKET_RETRY_WITHIN = Duration.ofSeconds(30);

  private final S3AsyncClient s3;

  BucketProvisioner(S3AsyncClient s3) {
    this.s3 = Objects.requireNonNull(s3, "s3");
  }

  CompletableFuture<Void> ensure(String bucket, int retentionDays) {
    return call(() -> s3.headBucket(b -> b.bucket(bucket)))
        .thenApply(found -> {
          LOG.info("Found S3 bucket {}", bucket);
          return false;
        })
        .exceptionallyCompose(error -> {
          Throwable cause = unwrap(error);
          if (cause instanceof NoSuchBucketException || statusCode(cause) == 404) {
            return create(bucket);
          }
          if (statusCode(cause) == 403) {
            return CompletableFuture.failedFuture(new IllegalStateException("S3 bucket " + bucket
                + " exists but these credentials may not use it (owned by another account?)", cause));
          }
          return CompletableFuture.failedFuture(cause);
        })
        .thenCompose(createdHere -> createdHere
            ? blockPublicAccess(bucket).thenCompose(ignored -> encryptByDefault(bucket))
            : CompletableFuture.<Void>completedFuture(null))
        .thenCompose(ignored -> ensureLifecycle(bucket, wantedRules(retentionDays)));
  }

  /** True when this call created the bucket, false when someone else did meanwhile. */
  private CompletableFuture<Boolean> create(String bucket) {
    Region region = s3.serviceClientConfiguration().region();
    // us-east-1 is the one region that refuses an explicit location constraint.
    boolean needsLocation = region != null && !Region.US_EAST_1.equals(region);
    return call(() -> s3.createBucket(b -> {
          b.bucket(bucket);
          if (needsLocation) {
            b.createBucketConfiguration(c -> c.locationConstraint(region.id()));
          }
        }))
        .thenApply(created -> {
          LOG.info("Created S3 bucket {}", bucket);
          return true;
        })
        .exceptionallyCompose(error -> {
          Throwable cause = unwrap(error);
          if (cause instanceof BucketAlreadyOwnedByYouException) {
            LOG.info("Found S3 bucket {} (created concurrently by another process)", bucket);
            return CompletableFuture.completedFuture(false);
          }
          if (cause instanceof BucketAlreadyExistsException) {
            // Real S3 says this when another account owns the name; some emulators say it for our own bucket.
            return call(() -> s3.headBucket(b -> b.bucket(bucket)))
                .handle((found, headError) -> {
                  if (headError != null) {
                    throw new IllegalStateException("S3 bucket name " + bucket + " is taken by another account",
                        cause);
                  }
                  LOG.info("Found S3 bucket {} (created concurrently by another process)", bucket);
                  return false;
                });
          }
          return CompletableFuture.failedFuture(cause);
        });
  }

  private CompletableFuture<Void> blockPublicAccess(String bucket) {
    return configure(bucket, "public access block", () -> s3.putPublicAccessBlock(b -> b.bucket(bucket)
        .publicAccessBlockConfiguration(c -> c
            .blockPublicAcls(true).ignorePublicAcls(true).blockPublicPolicy(true).restrictPublicBuckets(true))));
  }

  private CompletableFuture<Void> encryptByDefault(String bucket) {
    return configure(bucket, "default encryption (SSE-S3)", () -> s3.putBucketEncryption(b -> b.bucket(bucket)
        .serverSideEncryptionConfiguration(c -> c.rules(ServerSideEncryptionRule.builder()
            .applyServerSideEncryptionByDefault(d -> d.sseAlgorithm(ServerSideEncryption.AES256))
            .build()))));
  }

  /**
   * Imagery's rules, unless the bucket has a lifecycle configuration with rules of its own. Every process that sees
   * none (or an outdated set of Imagery's) puts the same set, so a race between starts is harmless; two processes
   * with different retentions would put theirs in turn, and the last start wins.
   */
  private CompletableFuture<Void> ensureLifecycle(String bucket, List<LifecycleRule> wanted) {
    String names = wanted.stream().map(LifecycleRule::id).toList().toString();
    return Calls.unlessUnimplemented(() -> newBucketRetry(() -> s3.getBucketLifecycleConfiguration(b -> b.bucket(bucket)))
            .thenApply(response -> Optional.of(response.rules()))
            .exceptionallyCompose(error -> isNoLifecycle(unwrap(error))
                ? CompletableFuture.completedFuture(Optional.<List<LifecycleRule>>empty())
                : CompletableFuture.failedFuture(unwrap(error)))
            .thenCompose(rules -> {
              if (rules.isEmpty() || (rules.get().stream().allMatch(BucketProvisioner::ours)
                  && !sameRules(rules.get(), wanted))) {
                return configure(bucket, "lifecycle rules " + names, () -> putRules(bucket, wanted));
              }
              if (rules.get().stream().noneMatch(BucketProvisioner::abortsEverywhere)) {
                LOG.warn("S3 bucket {} has lifecycle rules {} but none aborts incomplete multipart uploads across"
                    + " the bucket; Imagery expects one (left unchanged)", bucket, rules.get());
              }
              if (!rules.get().stream().allMatch(BucketProvisioner::ours) && !containsRules(rules.get(), wanted)) {
                LOG.warn("S3 bucket {} has lifecycle rules of its own {}, without Imagery's {}: image objects do not"
                    + " expire as IMAGERY_RETENTION_DAYS says (left unchanged)", bucket, rules.get(), wanted);
              }
              return CompletableFuture.completedFuture(null);
            }))
        .thenAccept(refused -> refused.ifPresent(why -> LOG.info(
            "The S3 endpoint does not support lifecycle configuration ({}): bucket {} has none of the rules {}"
                + " (an emulator; AWS always supports it)", why, bucket, names)));
  }

  private CompletableFuture<?> putRules(String bucket, List<LifecycleRule> rules) {
    return s3.putBucketLifecycleConfiguration(b -> b.bucket(bucket)
        .lifecycleConfiguration(c -> c.rules(rules)));
  }

  /** The abort rule, and with a retention one expiry rule per key root ({@code expire-raw}, {@code expire-processed}). */
  static List<LifecycleRule> wantedRules(int retentionDays) {
    List<LifecycleRule> rules = new ArrayList<>();
    rules.add(abortRule());
    if (retentionDays > 0) {
      for (String root : ObjectKeys.ROOTS) {
        rules.add(LifecycleRule.builder()
            .id(EXPIRE_RULE_PREFIX + root.substring(0, root.length() - 1))
            .status(ExpirationStatus.ENABLED)
            .filter(LifecycleRuleFilter.builder().prefix(root).build())
            .expiration(e -> e.days(retentionDays))
            .build());
      }
    }
    return List.copyOf(rules);
  }

  /** A rule this provisioner writes (by its id): a configuration of these alone is Imagery's to replace. */
  static boolean ours(LifecycleRule rule) {
    return wantedRules(1).stream().map(LifecycleRule::id).anyMatch(id -> id.equals(rule.id()));
  }

  /** The same rules, whatever their order and however S3 spells an empty part (the way they read back). */
  static boolean sameRules(List<LifecycleRule> found, List<LifecycleRule> wanted) {
    return found.size() == wanted.size() && containsRules(found, wanted);
  }

  private static boolean containsRules(List<LifecycleRule> found, List<LifecycleRule> wanted) {
    Set<String> have = new HashSet<>();
    found.forEach(rule -> have.add(essence(rule)));
    return wanted.stream().allMatch(rule -> have.contains(essence(rule)));
  }

  /** What a rule of ours does: id, status, prefix, abort and expiry days. */
  private static String essence(LifecycleRule rule) {
    String prefix = rule.filter() == null || rule.filter().prefix() == null ? "" : rule.filter().prefix();
    Integer abortDays = rule.abortIncompleteMultipartUpload() == null ? null
        : rule.abortIncompleteMultipartUpload().daysAfterInitiation();
    Integer expireDays = rule.expiration() == null ? null : rule.expiration().days();
    return rule.id() + "|" + rule.statusAsString() + "|" + prefix + "|" + abortDays + "|" + expireDays;
  }

  static LifecycleRule abortRule() {
    return LifecycleRule.builder()
        .id(ABORT_RULE_ID)
        .status(ExpirationStatus.ENABLED)
        .filter(LifecycleRuleFilter.builder().prefix("").build())
        .abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(ABORT_AFTER_DAYS))
        .build();
  }

  /** An enabled rule that aborts incomplete uploads for every key (no prefix, tag or size condition). */
  static boolean abortsEverywhere(LifecycleRule rule) {
    if (rule.status() != ExpirationStatus.ENABLED || rule.abortIncompleteMultipartUpload() == null
        || rule.abortIncompleteMultipartUpload().daysAfterInitiation() == null) {
      return false;
    }
    LifecycleRuleFilter filter = rule.filter();
    @SuppressWarnings("deprecation") // the rule-level prefix of old configurations
    boolean legacyEverywhere = rule.prefix() == null || rule.prefix().isEmpty();
    boolean filterEverywhere = filter == null || ((filter.prefix() == null || filter.prefix().isEmpty())
        && filter.tag() == null && filter.and() == null
        && filter.objectSizeGreaterThan() == null && filter.objectSizeLessThan() == null);
    return legacyEverywhere && filterEverywhere;
  }

  /** A bucket setting: applied, or skipped at INFO when the endpoint does not implement it (501 NotImplemented). */
  private CompletableFuture<Void> configure(String bucket, String what, Supplier<CompletableFuture<?>> put) {
    return Calls.unlessUnimplemented(() -> newBucketRetry(put::get))
        .thenAccept(refused -> refused.ifPresentOrElse(
            why -> LOG.info("The S3 endpoint does not support {} ({}): bucket {} is left without it"
                + " (an emulator; AWS always supports it)", what, why, bucket),
            () -> LOG.info("Set {} on S3 bucket {}", what, bucket)));
  }

  private static <T> CompletableFuture<T> newBucketRetry(Supplier<CompletableFuture<T>> request) {
    return Calls.retry(request, NoSuchBucketException.class::isInstance,
        NEW_BUCKET_RETRY_INTERVAL, NEW_BUCKET_RETRY_WITHIN, "S3 bucket configuration");
  }

  private static boolean isNoLifecycle(Throwable error) {
    return error instanceof S3Exception s3Error && s3Error.statusCode() == 404 && s3Error.awsErrorDetails() != null
        && "NoSuchLifecycleConfiguration".equals(s3Error.awsErrorDetails().errorCode());
  }

  private static int statusCode(Throwable error) {
    return error instanceof S3Exception s3Error ? s3Error.statusCode() : -1;
  }
}
