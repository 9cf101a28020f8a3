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

  private ResourceSetup() {
  }

  public static Future<Void> ensure(Vertx vertx, AwsClients aws, ImageryConfig config) {
    if (!config.resources().createIfMissing()) {
      return Future.succeededFuture();
    }
    ResourceProvisioner provisioner = new ResourceProvisioner(aws.dynamoDb(), aws.sqs(), aws.s3());
    return SdkFutures.call(vertx, () -> provisioner.provision(names(config))).mapEmpty();
  }

  public static ResourceNames names(ImageryConfig config) {
    ImageryConfig.Resources r = config.resources();
    return new ResourceNames(r.table(), r.queue(), r.deadLetterQueue(), r.bucket(), r.maxReceiveCount(),
        config.worker().visibilityTimeoutSeconds());
  }
}
