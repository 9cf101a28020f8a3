package dev.imagery.local.it;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.LocalAwsServers;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.local.testing.ApiClient;
import java.util.Map;
import java.util.Optional;

/**
 * One local AWS stack and one Imagery (API + worker) for all end-to-end tests of a JVM: starting them costs seconds,
 * and each test uses its own image ids. Free ports, loopback only, data in memory.
 */
final class TestStack {

  /** Small enough to test 413 quickly, large enough that uploads span several 8 MiB S3 parts. */
  static final long MAX_UPLOAD_BYTES = 24L * 1024 * 1024;

  private static TestStack instance;

  final LocalAwsServers servers;
  final ImageryStack imagery;
  final ApiClient api;

  private TestStack(LocalAwsServers servers, ImageryStack imagery) {
    this.servers = servers;
    this.imagery = imagery;
    this.api = new ApiClient("http://127.0.0.1:" + imagery.apiPort());
  }

  static synchronized TestStack get() {
    if (instance == null) {
      LocalAwsServers servers = LocalAwsServers.start(LocalAwsServers.Ports.anyFree(), Optional.empty());
      ImageryStack imagery = ImageryStack.start(servers, RecordedCalls.env(), Map.of(
          "PORT", "0",
          "IMAGERY_MAX_UPLOAD_BYTES", Long.toString(MAX_UPLOAD_BYTES),
          "IMAGERY_WORKER_CONCURRENCY", "2",
          // Heal stuck images within seconds; the duplicates this may queue for slow jobs are harmless.
          "IMAGERY_RECONCILE_AFTER_SECONDS", "2",
          "IMAGERY_RECONCILE_INTERVAL_SECONDS", "1",
          // These tests flood one image from one address on purpose (50 uploads at once); the per-caller limits
          // have tests of their own (PerCallerLimitsTest, and CallerGateTest in the API module).
          "IMAGERY_CALLER_MAX_UPLOADS", "0",
          "IMAGERY_CALLER_REQUESTS_PER_SECOND", "0"));
      instance = new TestStack(servers, imagery);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        imagery.close();
        servers.stop();
      }, "test-stack-shutdown"));
    }
    return instance;
  }

  String bucket() {
    return imagery.config().resources().bucket();
  }
}
