package dev.imagery.shared.image;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * One image process as stored in DynamoDB. {@code version} increases by one with every committed write and is
 * the optimistic lock of each conditional update. Upload and result fields describe the upload that the current
 * state belongs to; {@code uploadId} ties a queued job to that upload.
 */
public record ImageRecord(
    String id,
    ImageState state,
    long version,
    Instant createdAt,
    Instant updatedAt,
    Optional<Upload> upload,
    Optional<Result> result,
    Optional<String> failureReason) {

  /**
   * A sparse index of the images waiting for the worker: only records in {@code uploaded} carry its keys, so it
   * holds the work in progress, not the whole table, and the reconciler finds stuck images by querying it.
   *
   * <p>Its hash key is write-sharded: {@code awaiting} is {@code "uploaded#0"} to {@code "uploaded#7"}
   * ({@link #AWAITING_SHARDS}), chosen by {@link #awaitingShard(String)} from the image id, so that a burst of uploads
   * spreads over eight index partitions instead of one. Readers query every value of {@link #awaitingKeys()}.
   */
  public static final String AWAITING_INDEX = "awaiting-index";
  public static final String AWAITING = "awaiting";
  public static final String AWAITING_SINCE = "awaitingSince";

  /**
   * How many values the index's hash key takes. Readers query all of them, so it may grow (readers must then also
   * query the old values until no record carries them) but must never shrink while records carry the higher ones.
   */
  public static final int AWAITING_SHARDS = 8;

  /**
   * The unsharded value that versions before sharding wrote ({@code "uploaded"}). Records written by them stay
   * in the index under it until they leave {@code uploaded}, so readers keep querying it: they are healed too.
   */
  public static final String AWAITING_LEGACY = "uploaded";

  /**
   * Owned by the reconciler, not part of the record: the due point (epoch ms) of the last requeue it claimed for
   * the current upload. It is written only by the reconciler's conditional {@code UpdateItem}
   * ({@code ImageStore.claimRequeue}, with a claim token beside it), which leaves {@code version} alone, so it never
   * makes a transition fail; every transition is a whole-item {@code PutItem} that drops it, which is right, because
   * each one ends the wait or starts a new one (a new upload). {@link #fromItem} ignores it.
   */
  public static final String REQUEUED_AT = "requeuedAt";

  /**
   * Owned by the reconciler like {@link #REQUEUED_AT}, and written by the same claim: how many times the current
   * upload's job was queued again. Past {@code IMAGERY_MAX_REQUEUES} the reconciler gives up and marks the image
   * failed instead of sending another copy.
   */
  public static final String REQUEUES = "requeues";

  /**
   * Owned by the worker's attempt ledger ({@link AttemptLedger}), not part of the record: the processing attempts
   * at the current upload that started, and those that ended without finishing for a reason that was not the
   * image's (the worker let go of the job and is still alive). Written by conditional {@code UpdateItem}s that leave
   * {@code version} alone, dropped by every transition like {@link #REQUEUED_AT}.
   */
  public static final String ATTEMPTS_STARTED = "attemptsStarted";
  public static final String ATTEMPTS_ENDED = "attemptsEnded";

  /**
   * The table's TTL attribute (epoch seconds), written by {@link ImageStore} beside every record when a retention is
   * set ({@code IMAGERY_RETENTION_DAYS}): the record's creation plus the retention, so every write of a record
   * carries the same value. DynamoDB deletes the item some time after it passes; the store treats the record as gone
   * from that moment. Not part of the record: {@link #fromItem} ignores it.
   */
  public static final String EXPIRES_AT = "expiresAt";

  /** Times are kept at the precision DynamoDB stores them, so a record read back equals the one written. */
  public ImageRecord {
    createdAt = createdAt.truncatedTo(ChronoUnit.MILLIS);
    updatedAt = updatedAt.truncatedTo(ChronoUnit.MILLIS);
  }

  /**
   * The raw object of the latest accepted upload, and the W3C {@code traceparent} of the request that uploaded it,
   * when known: the reconciler's requeue of its job carries that trace on, so a late job still logs under it.
   */
  public record Upload(String uploadId, String rawKey, String contentType, long size, String sha256, Instant uploadedAt,
                       Optional<String> traceparent) {
    public Upload {
      uploadedAt = uploadedAt.truncatedTo(ChronoUnit.MILLIS);
    }

    /** An upload with no trace (tests, records written before traces). */
    public Upload(String uploadId, String rawKey, String contentType, long size, String sha256, Instant uploadedAt) {
      this(uploadId, rawKey, contentType, size, sha256, uploadedAt, Optional.empty());
    }
  }

  /** The item attribute of {@link Upload#traceparent()}. */
  public static final String TRACEPARENT = "traceparent";

  /** The sepia result and its thumbnail. */
  public record Result(String resultKey, String contentType, String thumbnailKey, int width, int height,
                       Instant processedAt) {
    public Result {
      processedAt = processedAt.truncatedTo(ChronoUnit.MILLIS);
    }
  }

  public static ImageRecord created(String id, Instant now) {
    return new ImageRecord(id, ImageState.CREATED, 0, now, now, Optional.empty(), Optional.empty(), Optional.empty());
  }

  public Optional<String> uploadId() {
    return upload.map(Upload::uploadId);
  }

  /** This record, deleting from {@code now} on; what it held is kept so that its objects stay named. */
  public ImageRecord deleting(Instant now) {
    return new ImageRecord(id, ImageState.DELETING, version + 1, createdAt, now, upload, result, failureReason);
  }

  public Map<String, AttributeValue> toItem() {
    Map<String, AttributeValue> item = new HashMap<>();
    item.put("id", s(id));
    item.put("state", s(state.wireName()));
    item.put("version", n(version));
    item.put("createdAt", n(createdAt.toEpochMilli()));
    item.put("updatedAt", n(updatedAt.toEpochMilli()));
    upload.ifPresent(u -> {
      item.put("uploadId", s(u.uploadId()));
      item.put("rawKey", s(u.rawKey()));
      item.put("rawContentType", s(u.contentType()));
      item.put("rawSize", n(u.size()));
      item.put("rawSha256", s(u.sha256()));
      item.put("uploadedAt", n(u.uploadedAt().toEpochMilli()));
      u.traceparent().ifPresent(trace -> item.put(TRACEPARENT, s(trace)));
    });
    result.ifPresent(r -> {
      item.put("resultKey", s(r.resultKey()));
      item.put("resultContentType", s(r.contentType()));
      item.put("thumbnailKey", s(r.thumbnailKey()));
      item.put("width", n(r.width()));
      item.put("height", n(r.height()));
      item.put("processedAt", n(r.processedAt().toEpochMilli()));
    });
    failureReason.ifPresent(reason -> item.put("failureReason", s(reason)));
    if (state == ImageState.UPLOADED) {
      item.put(AWAITING, s(awaitingShard(id)));
      item.put(AWAITING_SINCE, n(updatedAt.toEpochMilli()));
    }
    return item;
  }

  public static ImageRecord fromItem(Map<String, AttributeValue> item) {
    Optional<Upload> upload = Optional.ofNullable(item.get("uploadId")).map(u -> new Upload(
        u.s(),
        item.get("rawKey").s(),
        item.get("rawContentType").s(),
        Long.parseLong(item.get("rawSize").n()),
        item.get("rawSha256").s(),
        millis(item.get("uploadedAt")),
        Optional.ofNullable(item.get(TRACEPARENT)).map(AttributeValue::s)));
    Optional<Result> result = Optional.ofNullable(item.get("resultKey")).map(r -> new Result(
        r.s(),
        item.get("resultContentType").s(),
        item.get("thumbnailKey").s(),
        Integer.parseInt(item.get("width").n()),
        Integer.parseInt(item.get("height").n()),
        millis(item.get("processedAt"))));
    return new ImageRecord(
        item.get("id").s(),
        ImageState.fromWireName(item.get("state").s()),
        Long.parseLong(item.get("version").n()),
        millis(item.get("createdAt")),
        millis(item.get("updatedAt")),
        upload,
        result,
        Optional.ofNullable(item.get("failureReason")).map(AttributeValue::s));
  }

  /**
   * The index hash key of a waiting image: {@code "uploaded#" + (CRC-32 of the id's UTF-8 bytes mod
   * AWAITING_SHARDS)}. Stable across processes and versions, so a record keeps its shard.
   */
  public static String awaitingShard(String id) {
    CRC32 crc = new CRC32();
    crc.update(id.getBytes(StandardCharsets.UTF_8));
    return ImageState.UPLOADED.wireName() + "#" + (crc.getValue() % AWAITING_SHARDS);
  }

  /** Every value the index's hash key may hold: the shards, then the legacy unsharded value. */
  public static List<String> awaitingKeys() {
    return Stream.concat(
        IntStream.range(0, AWAITING_SHARDS).mapToObj(shard -> ImageState.UPLOADED.wireName() + "#" + shard),
        Stream.of(AWAITING_LEGACY)).toList();
  }

  static AttributeValue s(String value) {
    return AttributeValue.fromS(value);
  }

  static AttributeValue n(long value) {
    return AttributeValue.fromN(Long.toString(value));
  }

  private static Instant millis(AttributeValue value) {
    return Instant.ofEpochMilli(Long.parseLong(value.n()));
  }
}
