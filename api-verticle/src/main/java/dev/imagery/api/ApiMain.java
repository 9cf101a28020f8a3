package dev.imagery.api;

import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.runtime.ServiceLauncher;

/** Runs the API alone: {@code java -jar imagery-api.jar}, configured by environment variables. */
public final class ApiMain {

  private ApiMain() {
  }

  public static void main(String[] args) {
    ImageryConfig config = ImageryConfig.fromEnv();
    ServiceLauncher.run("imagery-api", config, (aws, metrics) -> new ApiVerticle(config, aws, metrics));
  }
}
