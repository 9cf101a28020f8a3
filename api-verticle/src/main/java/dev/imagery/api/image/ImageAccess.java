package dev.imagery.api.image;

import dev.imagery.api.auth.Caller;
import dev.imagery.shared.image.ImageNotFoundException;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides whether a request's caller may use an image: every image route reads or creates its
 * record through here, and routes added later must too ({@code ImageRouteOwnershipTest} walks the router and fails
 * on a route it does not cover). An image that is not the caller's is answered exactly like one that does not
 * exist, 404 {@code NOT_FOUND} with the same message, on every route: the answer does not tell whether the id is
 * taken. The owner never changes after the create (every transition carries it), so one check on the record a route
 * works from covers the rest of that request.
 *
 * <p>With authentication off every caller is {@link ImageRecord#ANONYMOUS} and may use every image, whoever created
 * it (the start-up warning says so).
 */
public final class ImageAccess {

  private static final Logger LOG = LoggerFactory.getLogger(ImageAccess.class);

  private final ImageStore store;
  private final boolean enforced;

  /** @param enforced whether owners are checked: false only with {@code IMAGERY_AUTH_MODE=none} */
  public ImageAccess(ImageStore store, boolean enforced) {
    this.store = store;
    this.enforced = enforced;
  }

  /** The record of {@code id}, if the caller may use it; otherwise the failure of an image that does not exist. */
  public Future<ImageRecord> get(RoutingContext ctx, String id) {
    return store.get(id).map(record -> owned(ctx, record));
  }

  /**
   * Creates {@code id} for the caller, or returns it if the caller created it before (the idempotent create).
   * Someone else's id is never taken over (the store's create is conditional on no item) and answers as a missing
   * image: 404, like every other route. Any answer but 201 tells that an id exists, whatever its code; that is
   * harmless because client ids must be random UUIDs (122 random bits), so existence cannot be probed by guessing.
   */
  public Future<ImageStore.Committed> create(RoutingContext ctx, String id) {
    return store.create(id, Caller.of(ctx).id())
        .map(created -> {
          owned(ctx, created.record());
          return created;
        });
  }

  /**
   * {@code record} if the request's caller may use it, else throws what a missing image throws: for routes that read
   * the record themselves.
   */
  public ImageRecord owned(RoutingContext ctx, ImageRecord record) {
    Caller caller = Caller.of(ctx);
    if (enforced && !caller.id().equals(record.owner())) {
      LOG.info("image={} caller={} {} {}: not the owner, answered as not found", record.id(), caller.id(),
          ctx.request().method(), ctx.request().path());
      throw new ImageNotFoundException(record.id());
    }
    return record;
  }
}
