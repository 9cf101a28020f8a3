package dev.imagery.worker;

import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.runtime.ServiceLauncher;

/** Runs the worker alone: {@code java -jar imagery-worker.jar}, configured by environment variables. */
public final class WorkerMain {

  private WorkerMain() {
  }

  public static void main(String[] args) {
    ImageryConfig config = ImageryConfig.fromEnv();
    ServiceLauncher.run("imagery-worker", config, (aws, metrics) -> new WorkerVerticle(config, aws, metrics));
  }
}
