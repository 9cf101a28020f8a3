package dev.imagery.api.contract;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.Style;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatedRequestImpl;
import io.vertx.openapi.validation.transformer.FormTransformer;
import io.vertx.openapi.validation.transformer.LabelTransformer;
import io.vertx.openapi.validation.transformer.MatrixTransformer;
import io.vertx.openapi.validation.transformer.ParameterTransformer;
import io.vertx.openapi.validation.transformer.SimpleTransformer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The request validation of an operation without a request body (every operation of the router's contract: the
 * uploads' bodies are streamed, see ApiContract), in place of the OpenAPI router's own: the same extraction
 * ({@link RequestUtils}), the same transformers, schemas and exceptions in the same order, so the same answers,
 * at a fraction of the cost. vertx-openapi's {@code RequestValidatorImpl}, which the router calls per request:
 * <ul>
 *   <li>asks the schema repository for a new validator for every parameter of every request, and each new one copies
 *   the repository's whole lookup map (every schema of the document and the JSON Schema meta-schemas): 15% of the
 *   API's CPU in the profile of bench/api-rate.sh (docs/benchmarks.md). A validator holds no state between
 *   validations, so each parameter's is made once, here, when the router is built;</li>
 *   <li>validates on a worker thread (executeBlocking), which is there for large bodies: for a handful of parameters
 *   the hop to a worker and back (a wake-up, a queue, a dispatch back to the event loop) costs more than the check,
 *   and the worker threads took 22% of the API's CPU samples. Checking a few short strings against small schemas
 *   takes microseconds, so it runs on the event loop.</li>
 * </ul>
 * An operation with a request body keeps the router's validation ({@link #replaceRouterValidation}).
 */
public final class ParameterValidation implements Handler<RoutingContext> {

  /** As RequestValidatorImpl has them: one transformer per style. */
  private static final Map<Style, ParameterTransformer> TRANSFORMERS = transformers();

  private final Operation operation;
  private final List<Check> checks;

  private record Check(Parameter parameter, Validator validator) {
  }

  private ParameterValidation(OpenAPIContract contract, Operation operation) {
    this.operation = operation;
    // The very validator RequestValidatorImpl asks for on each request, asked for once.
    this.checks = operation.getParameters().stream()
        .map(parameter -> new Check(parameter, contract.getSchemaRepository().validator(parameter.getSchema())))
        .toList();
  }

  /**
   * Puts this validation in front of the handlers of {@code route} and turns the router's off, when its operation
   * has no request body (else the route keeps the router's validation, which reads and checks bodies). Call it
   * once the route's handlers are bound and before the router is created.
   */
  public static void replaceRouterValidation(OpenAPIContract contract, OpenAPIRoute route) {
    if (!route.doValidation() || route.getOperation().getRequestBody() != null || route.getHandlers().isEmpty()) {
      return;
    }
    ParameterValidation validation = new ParameterValidation(contract, route.getOperation());
    // OpenAPIRoute has no "add first"; its handler list is the live one the router is built from. Checked, so that
    // a release that hands out a copy fails the start instead of serving requests unvalidated.
    route.getHandlers().add(0, validation);
    if (route.getHandlers().isEmpty() || route.getHandlers().get(0) != validation) {
      throw new IllegalStateException("cannot put the parameter validation in front of " + route.getOperation()
          .getOperationId() + ": OpenAPIRoute.getHandlers() is not the route's own list");
    }
    route.setDoValidation(false);
  }

  /** As the router's validation handler (RouterBuilderImpl): a refusal is a 400 HttpException with its cause. */
  @Override
  public void handle(RoutingContext ctx) {
    RequestUtils.extract(ctx.request(), operation)
        .map(this::validate)
        .onSuccess(validated -> {
          ctx.put(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST, validated);
          ctx.next();
        })
        .onFailure(err -> ctx.fail(err instanceof ValidatorException
            ? new HttpException(400, err.getMessage(), err)
            : err));
  }

  /** RequestValidatorImpl.validate's loop, with the validators made ahead. */
  private ValidatedRequestImpl validate(ValidatableRequest request) {
    Map<String, RequestParameter> cookies = new HashMap<>();
    Map<String, RequestParameter> headers = new HashMap<>();
    Map<String, RequestParameter> path = new HashMap<>();
    Map<String, RequestParameter> query = new HashMap<>();
    for (Check check : checks) {
      Parameter parameter = check.parameter();
      String name = parameter.getName();
      switch (parameter.getIn()) {
        case COOKIE -> cookies.put(name, validate(check, request.getCookies().get(name)));
        case HEADER -> headers.put(name, validate(check, request.getHeaders().get(name)));
        case PATH -> path.put(name, validate(check, request.getPathParameters().get(name)));
        case QUERY -> query.put(name, validate(check, request.getQuery().get(name)));
      }
    }
    return new ValidatedRequestImpl(cookies, headers, path, query, new RequestParameterImpl(null));
  }

  /** RequestValidatorImpl.validateParameter, with the validator made ahead. */
  private static RequestParameter validate(Check check, RequestParameter value) {
    Parameter parameter = check.parameter();
    if (value == null || value.isNull()) {
      if (parameter.isRequired()) {
        throw ValidatorException.createMissingRequiredParameter(parameter);
      }
      return new RequestParameterImpl(null);
    }
    ParameterTransformer transformer = TRANSFORMERS.get(parameter.getStyle());
    if (transformer == null) {
      throw ValidatorException.createUnsupportedValueFormat(parameter);
    }
    Object transformed = transformer.transform(parameter, String.valueOf(value.get()));
    OutputUnit result = check.validator().validate(transformed);
    try {
      result.checkValidity();
      return new RequestParameterImpl(transformed);
    } catch (JsonSchemaValidationException e) {
      throw SchemaValidationException.createErrorFromOutputUnitType(parameter, result, e);
    }
  }

  private static Map<Style, ParameterTransformer> transformers() {
    Map<Style, ParameterTransformer> transformers = new EnumMap<>(Style.class);
    transformers.put(Style.SIMPLE, new SimpleTransformer());
    transformers.put(Style.LABEL, new LabelTransformer());
    transformers.put(Style.MATRIX, new MatrixTransformer());
    transformers.put(Style.FORM, new FormTransformer());
    return transformers;
  }
}
