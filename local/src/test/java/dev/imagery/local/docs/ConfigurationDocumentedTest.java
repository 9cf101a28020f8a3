package dev.imagery.local.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every environment variable the code reads is in the README's configuration table. */
class ConfigurationDocumentedTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern JAVA_NAME = Pattern.compile("\"((?:IMAGERY|AWS)_[A-Z0-9_]+|PORT|LOG_LEVEL)\"");
  private static final Pattern LOGBACK_NAME = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]+)");

  @Test
  void everyVariableReadIsDocumented() throws IOException {
    Set<String> read = new TreeSet<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      files.filter(path -> path.toString().contains("/src/main/"))
          .filter(path -> !path.toString().contains("/target/"))
          .forEach(path -> {
            String name = path.getFileName().toString();
            if (name.endsWith(".java")) {
              collect(JAVA_NAME, path, read);
            } else if (name.endsWith(".xml") && path.toString().contains("/src/main/resources/")) {
              // logback.xml and what it includes (shared's imagery-console.xml)
              collect(LOGBACK_NAME, path, read);
            }
          });
    }
    String readme = Files.readString(ROOT.resolve("README.md"));

    assertThat(read).as("variables found in the code").contains("PORT", "IMAGERY_TABLE", "LOG_LEVEL");
    assertThat(read).allSatisfy(variable ->
        assertThat(readme).as("README documents %s", variable).contains("`" + variable + "`"));
  }

  private static void collect(Pattern pattern, Path file, Set<String> into) {
    try {
      Matcher matcher = pattern.matcher(Files.readString(file));
      while (matcher.find()) {
        into.add(matcher.group(1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
