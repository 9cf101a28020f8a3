package dev.imagery.api.contract;

import dev.imagery.api.http.ApiException;
import dev.imagery.api.http.ErrorResponses;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.ValidatorException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns the OpenAPI validator's refusal of a request into our JSON error: 400 with the code of the parameter that
 * broke the contract ({@code x-error-code} in the document: {@code INVALID_ID}, {@code INVALID_WAIT_FOR},
 * {@code INVALID_TIMEOUT}, the codes these checks had before the contract existed), else {@code INVALID_REQUEST},
 * and the validator's message.
 */
public final class ContractViolations {

  static final String INVALID_REQUEST = "INVALID_REQUEST";

  private final Map<Pattern, String> codes;

  private ContractViolations(Map<Pattern, String> codes) {
    this.codes = codes;
  }

  /** A failure handler for the route of {@code operation}; other failures go on to the router's. */
  public static Handler<RoutingContext> of(Operation operation) {
    ContractViolations violations = new ContractViolations(codesByParameter(operation.getParameters()));
    return violations::handle;
  }

  private void handle(RoutingContext ctx) {
    ValidatorException violation = ErrorResponses.contractViolation(ctx.failure());
    if (violation == null) {
      ctx.next();
      return;
    }
    ErrorResponses.handle(ctx, new ApiException(400, codeOf(violation), violation.getMessage()));
  }

  String codeOf(ValidatorException violation) {
    String message = String.valueOf(violation.getMessage());
    return codes.entrySet().stream()
        .filter(code -> code.getKey().matcher(message).find())
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(INVALID_REQUEST);
  }

  /**
   * The validator's exception names the parameter only in its message, always as "{@code <in> parameter <name>}"
   * (ValidatorException's and SchemaValidationException's factories), so that is what is matched.
   */
  static Map<Pattern, String> codesByParameter(List<Parameter> parameters) {
    return parameters.stream()
        .filter(parameter -> parameter.getExtensions().get(ApiContract.ERROR_CODE) instanceof String)
        .collect(Collectors.toMap(
            parameter -> Pattern.compile("\\b" + parameter.getIn() + " parameter " + Pattern.quote(parameter.getName())
                + "(?=[\\s.,]|$)"),
            parameter -> (String) parameter.getExtensions().get(ApiContract.ERROR_CODE)));
  }
}
