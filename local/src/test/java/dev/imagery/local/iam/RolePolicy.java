package dev.imagery.local.iam;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** A role's grants ("action Resource", e.g. "dynamodb:Query Index"), those under the admin-routes condition apart. */
record RolePolicy(Set<String> unconditional, Set<String> conditional, List<Object> managedPolicies) {

  Set<String> all() {
    Set<String> all = new TreeSet<>(unconditional);
    all.addAll(conditional);
    return all;
  }
}
