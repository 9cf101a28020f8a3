package dev.imagery.api.http;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code Content-Disposition} of the image routes. The file name is ours, never the client's: the image id (a
 * canonical UUID, checked by the route), what the file is, and the extension of its stored type, so it is plain
 * ASCII with nothing to quote or escape.
 */
public final class ContentDisposition {

  private static final Map<String, String> EXTENSIONS = Map.of(
      "image/jpeg", "jpg", "image/png", "png", "image/gif", "gif", "image/bmp", "bmp");
  private static final Pattern SAFE = Pattern.compile("[0-9a-z-]+");

  private ContentDisposition() {
  }

  /** e.g. {@code attachment; filename="3f2b6c1e-...-original.jpg"}. */
  public static String of(String disposition, String imageId, String name, String contentType) {
    if (!"attachment".equals(disposition) && !"inline".equals(disposition)) {
      throw new IllegalArgumentException("disposition is attachment or inline, got " + disposition);
    }
    if (!SAFE.matcher(imageId).matches() || !SAFE.matcher(name).matches()) {
      throw new IllegalArgumentException("file names are built from an image id and a plain word");
    }
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT).split(";", 2)[0].trim();
    return disposition + "; filename=\"" + imageId + "-" + name + "." + EXTENSIONS.getOrDefault(type, "bin") + "\"";
  }
}
