package dev.imagery.local.iam;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The IAM rights as the docs state them: the README's table ({@code | api | Table | `dynamodb:GetItem` ... |}) and
 * the comment lines of the Kubernetes service accounts ({@code #   imagery-api Table: dynamodb:GetItem ...}).
 */
final class DocumentedRoles {

  private static final Pattern README_ROW =
      Pattern.compile("^\\|\\s*(api|api \\(admin routes\\)|worker|provisioner)\\s*\\|\\s*(\\w+)\\s*\\|([^|]*)\\|.*$");
  private static final Pattern COMMENT_LINE =
      Pattern.compile("^#\\s+(imagery-api|imagery-worker)( \\(admin routes\\))? (\\w+): ([a-z0-9:A-Z ]+)$");
  private static final Pattern ACTION = Pattern.compile("`([a-z0-9]+:[A-Za-z]+)`");

  private DocumentedRoles() {
  }

  static Map<String, RolePolicy> fromReadme(Path readme) {
    Map<String, RolePolicy> roles = new HashMap<>();
    for (String line : lines(readme)) {
      Matcher row = README_ROW.matcher(line.trim());
      if (!row.matches()) {
        continue;
      }
      String role = row.group(1);
      String service = role.startsWith("api") ? "imagery-api"
          : role.equals("worker") ? "imagery-worker" : "imagery-provisioner";
      RolePolicy policy = roles.computeIfAbsent(service, k -> empty());
      Set<String> into = role.endsWith("(admin routes)") ? policy.conditional() : policy.unconditional();
      Matcher action = ACTION.matcher(row.group(3));
      while (action.find()) {
        into.add(action.group(1) + " " + row.group(2));
      }
    }
    return roles;
  }

  static Map<String, RolePolicy> fromServiceAccounts(Path manifest) {
    Map<String, RolePolicy> roles = new HashMap<>();
    for (String line : lines(manifest)) {
      Matcher comment = COMMENT_LINE.matcher(line.trim());
      if (!comment.matches()) {
        continue;
      }
      RolePolicy policy = roles.computeIfAbsent(comment.group(1), k -> empty());
      Set<String> into = comment.group(2) != null ? policy.conditional() : policy.unconditional();
      for (String action : comment.group(4).trim().split("\\s+")) {
        into.add(action + " " + comment.group(3));
      }
    }
    return roles;
  }

  private static RolePolicy empty() {
    return new RolePolicy(new TreeSet<>(), new TreeSet<>(), List.of());
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
