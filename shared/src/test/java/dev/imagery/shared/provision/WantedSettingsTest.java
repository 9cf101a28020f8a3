package dev.imagery.shared.provision;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.LifecycleRuleAndOperator;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** What the provisioner asks for, against the production CloudFormation template (deploy/ecs/imagery.yaml). */
class WantedSettingsTest {

  private static final String ARN = "arn:aws:sqs:us-east-1:000000000000:jobs-dlq";

  @Test
  void theDeadLetterQueueKeepsMessagesFourteenDaysEncrypted() {
    assertThat(QueueProvisioner.deadLetterQueueAttributes()).isEqualTo(Map.of(
        QueueAttributeName.MESSAGE_RETENTION_PERIOD, "1209600",
        QueueAttributeName.SQS_MANAGED_SSE_ENABLED, "true"));
  }

  @Test
  void theJobQueueUsesTheWorkersVisibilityLongPollsRedrivesAndIsEncrypted() {
    ResourceNames names = new ResourceNames("t", "jobs", "jobs-dlq", "b", 4, 75);
    Map<QueueAttributeName, String> attributes = QueueProvisioner.jobQueueAttributes(names, ARN);
    assertThat(attributes).containsOnlyKeys(QueueAttributeName.VISIBILITY_TIMEOUT,
            QueueAttributeName.RECEIVE_MESSAGE_WAIT_TIME_SECONDS, QueueAttributeName.MESSAGE_RETENTION_PERIOD,
            QueueAttributeName.REDRIVE_POLICY, QueueAttributeName.SQS_MANAGED_SSE_ENABLED)
        .containsEntry(QueueAttributeName.VISIBILITY_TIMEOUT, "75")
        .containsEntry(QueueAttributeName.MESSAGE_RETENTION_PERIOD, "345600")
        .containsEntry(QueueAttributeName.RECEIVE_MESSAGE_WAIT_TIME_SECONDS, "20")
        .containsEntry(QueueAttributeName.SQS_MANAGED_SSE_ENABLED, "true");
    assertThat(RedrivePolicy.parse(attributes.get(QueueAttributeName.REDRIVE_POLICY)))
        .contains(new RedrivePolicy(ARN, 4));
  }

  @Test
  void deadLettersOutliveJobs() {
    // A dead letter keeps its first enqueue time, so a shorter DLQ retention would drop it on arrival.
    assertThat(QueueProvisioner.DEAD_LETTER_RETENTION_SECONDS).isGreaterThan(QueueProvisioner.JOB_RETENTION_SECONDS);
  }

  @Test
  void theLifecycleRuleAbortsIncompleteUploadsAfterOneDayAcrossTheBucket() {
    LifecycleRule rule = BucketProvisioner.abortRule();
    assertThat(rule.id()).isEqualTo("abort-incomplete-multipart-uploads");
    assertThat(rule.status()).isEqualTo(ExpirationStatus.ENABLED);
    assertThat(rule.abortIncompleteMultipartUpload().daysAfterInitiation()).isEqualTo(1);
    assertThat(rule.filter().prefix()).isEmpty();
    assertThat(rule.expiration()).as("never expires objects").isNull();
    assertThat(rule.hasTransitions()).isFalse();
    assertThat(BucketProvisioner.abortsEverywhere(rule)).isTrue();
  }

  @Test
  void aRetentionAddsOneExpiryRulePerKeyRootAsTheTemplateHasThem() {
    assertThat(BucketProvisioner.wantedRules(0)).containsExactly(BucketProvisioner.abortRule());

    List<LifecycleRule> rules = BucketProvisioner.wantedRules(30);

    assertThat(rules).extracting(LifecycleRule::id)
        .containsExactly("abort-incomplete-multipart-uploads", "expire-raw", "expire-processed");
    assertThat(rules.subList(1, 3)).allSatisfy(rule -> {
      assertThat(rule.status()).isEqualTo(ExpirationStatus.ENABLED);
      assertThat(rule.expiration().days()).isEqualTo(30);
      assertThat(rule.abortIncompleteMultipartUpload()).isNull();
    });
    assertThat(rules.subList(1, 3)).extracting(rule -> rule.filter().prefix()).containsExactly("raw/", "processed/");
    assertThat(rules).allMatch(BucketProvisioner::ours);
  }

  @Test
  void imagerysOwnRulesAreReplacedWhenTheRetentionChangesAndOthersAreNot() {
    List<LifecycleRule> thirty = BucketProvisioner.wantedRules(30);
    // As S3 reads them back: another order, and an abort rule without a filter.
    List<LifecycleRule> readBack = List.of(thirty.get(2), thirty.get(1),
        thirty.get(0).toBuilder().filter((LifecycleRuleFilter) null).build());

    assertThat(BucketProvisioner.sameRules(readBack, thirty)).isTrue();
    assertThat(BucketProvisioner.sameRules(readBack, BucketProvisioner.wantedRules(7))).isFalse();
    assertThat(BucketProvisioner.sameRules(readBack, BucketProvisioner.wantedRules(0))).isFalse();
    assertThat(BucketProvisioner.ours(LifecycleRule.builder().id("expire-logs").build())).isFalse();
    assertThat(BucketProvisioner.ours(LifecycleRule.builder().id("expire-noncurrent-versions").build())).isFalse();
  }

  @Test
  void onlyAnEnabledWholeBucketAbortRuleCountsAsPresent() {
    LifecycleRule ours = BucketProvisioner.abortRule();
    assertThat(BucketProvisioner.abortsEverywhere(ours.toBuilder().filter((LifecycleRuleFilter) null).build()))
        .as("no filter").isTrue();
    assertThat(BucketProvisioner.abortsEverywhere(ours.toBuilder()
        .abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(7)).build())).as("other days").isTrue();

    assertThat(BucketProvisioner.abortsEverywhere(ours.toBuilder().status(ExpirationStatus.DISABLED).build()))
        .as("disabled").isFalse();
    assertThat(BucketProvisioner.abortsEverywhere(ours.toBuilder()
        .filter(LifecycleRuleFilter.builder().prefix("logs/").build()).build())).as("one prefix").isFalse();
    assertThat(BucketProvisioner.abortsEverywhere(ours.toBuilder()
        .filter(LifecycleRuleFilter.builder().and(LifecycleRuleAndOperator.builder().prefix("").build()).build())
        .build())).as("and-filter").isFalse();
    assertThat(BucketProvisioner.abortsEverywhere(LifecycleRule.builder().id("expire").status(ExpirationStatus.ENABLED)
        .filter(LifecycleRuleFilter.builder().prefix("").build()).expiration(e -> e.days(30)).build()))
        .as("an expiration rule").isFalse();
  }
}
