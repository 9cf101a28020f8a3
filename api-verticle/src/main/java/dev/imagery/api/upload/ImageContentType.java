package dev.imagery.api.upload;

import dev.imagery.api.http.ApiException;
import dev.imagery.shared.image.ImageFormat;
import java.util.Locale;
import java.util.Map;

/**
 * The Content-Type of an upload whose body is the image itself ({@code PUT /image/{id}/upload}): it must name a
 * format the worker processes. It is a claim, checked against the first bytes before anything is stored
 * ({@link UploadFlow#acceptRaw}); the stored type is always the one the bytes show.
 */
public final class ImageContentType {

  /** The registered types, and the aliases that browsers and old clients still send. */
  private static final Map<String, ImageFormat> TYPES = Map.of(
      "image/jpeg", ImageFormat.JPEG,
      "image/jpg", ImageFormat.JPEG,
      "image/pjpeg", ImageFormat.JPEG,
      "image/png", ImageFormat.PNG,
      "image/x-png", ImageFormat.PNG,
      "image/gif", ImageFormat.GIF,
      "image/bmp", ImageFormat.BMP,
      "image/x-bmp", ImageFormat.BMP,
      "image/x-ms-bmp", ImageFormat.BMP);

  private static final String EXPECTED = "image/jpeg, image/png, image/gif or image/bmp";

  private ImageContentType() {
  }

  /** The format {@code contentType} names (parameters ignored); a 415 for anything else, before a byte is read. */
  public static ImageFormat parse(String contentType) {
    String type = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    ImageFormat format = TYPES.get(type);
    if (format != null) {
      return format;
    }
    if (type.startsWith("multipart/")) {
      throw new ApiException(415, "UNSUPPORTED_MEDIA_TYPE", "PUT takes the image itself as the body, with "
          + "Content-Type " + EXPECTED + "; send multipart/form-data with POST /image/{id}/upload");
    }
    String got = type.isEmpty() ? "no Content-Type" : "Content-Type '" + type + "'";
    throw new ApiException(415, "UNSUPPORTED_MEDIA_TYPE", "the body must be the image, with Content-Type "
        + EXPECTED + "; got " + got);
  }
}
