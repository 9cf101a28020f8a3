package dev.imagery.shared.runtime;

import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.provision.ResourceNames;
import dev.imagery.shared.provision.ResourceProvisioner;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Creates the table, queues and bucket on start when IMAGERY_CREATE_RESOURCES is true (local stacks, dev
 * clusters). In production they come from infrastructure code and the services only check them.
 */
public final class ResourceSetup {

  /** How the provisioner's calls are named in the AWS call log: its rights are not the services' own. */
  public static final String CALLER = "imagery-provisioner";

  private ResourceSetup() {
  }

  /**
   * Runs the provisioner on clients of its own, closed when it is done, so that the rights it needs never show up
   * as the service's (IMAGERY_AWS_CALL_LOG).
   */
  public static Future<Void> ensure(Vertx vertx, ImageryConfig config) {
    if (!config.resources().createIfMissing()) {
      return Future.succeededFuture();
    }
    AwsClients aws = AwsClients.create(config, CALLER);
    ResourceProvisioner provisioner = new ResourceProvisioner(aws.dynamoDb(), aws.sqs(), aws.s3());
    return SdkFutures.call(vertx, () -> provisioner.provision(names(config)))
        .<Void>mapEmpty()
        .eventually(() -> vertx.executeBlocking(() -> {
          // Closing the SDK clients waits for their Netty threads: not on an event loop.
          aws.close();
          return null;
        }));
  }

  public static ResourceNames names(ImageryConfig config) {
    ImageryConfig.Resources r = config.resources();
    return new ResourceNames(r.table(), r.queue(), r.deadLetterQueue(), r.bucket(), r.maxReceiveCount(),
        config.worker().visibilityTimeoutSeconds(), r.retentionDays());
  }
}
