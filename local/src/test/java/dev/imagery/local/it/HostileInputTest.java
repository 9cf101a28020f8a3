package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 3, item 6, end to end: every valid file of the corpus ({@code images/corpus/}, see SOURCES.md) ends
 * {@code processed} and upright; every broken or hostile one ends with a 4xx at upload, or {@code failed} with a
 * reason on its first receive (record version 2: created 0, uploaded 1, failed 2) and nothing under
 * {@code processed/}; no job reaches the dead-letter queue, and the worker keeps serving.
 *
 * <p>Everything is uploaded once, up front, so the worker processes while the tests check: the class takes seconds,
 * not one round trip per file.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {

  /** Valid files and their upright size (EXIF orientations 5-8 swap the stored size). */
  private static final Map<String, int[]> VALID = new LinkedHashMap<>();
  /** Issue 7: refused for their cost, from the header (the worker's CostLimitsTest has the details). */
  private static final String SCAN_BOMB = "crafted: progressive JPEG with 5010 scans";
  private static final String BYTES_BOMB = "crafted: PNG 7000x6000 16-bit RGBA (42 MP, ~720 MiB decoded)";
  /** Broken and hostile files, by name, with their bytes. */
  private static final Map<String, Supplier<byte[]>> HOSTILE = new LinkedHashMap<>();

  static {
    for (String name : List.of("basn0g01", "basn0g02", "basn0g04", "basn0g08", "basn0g16", "basn2c08", "basn2c16",
        "basn3p01", "basn3p02", "basn3p04", "basn3p08", "basn4a08", "basn4a16", "basn6a08", "basn6a16",
        "basi0g01", "basi0g16", "basi2c16", "basi3p02", "basi4a16", "basi6a08",
        "tbbn0g04", "tbbn2c16", "tbbn3p08", "tbwn3p08", "tp0n3p08", "tp1n3p08", "tm3n3p02",
        "g03n2c08", "g10n0g16", "g25n3p04", "f00n2c08", "f01n0g08", "f02n2c08", "f03n0g08", "f04n2c08", "f99n0g04",
        "oi1n0g16", "oi4n2c16", "oi9n2c16", "z00n2c08", "z09n2c08", "ct1n0g04")) {
      valid("pngsuite/" + name + ".png", 32, 32);
    }
    valid("pngsuite/s01i3p01.png", 1, 1);
    valid("pngsuite/s01n3p01.png", 1, 1);
    valid("pngsuite/s09i3p02.png", 9, 9);
    valid("pngsuite/s32n3p04.png", 32, 32);
    valid("pngsuite/s39i3p04.png", 39, 39);
    valid("pngsuite/s40n3p04.png", 40, 40);
    valid("pngsuite/cdfn2c08.png", 8, 32);
    valid("pngsuite/cdhn2c08.png", 32, 8);
    valid("jpeg-decoder/mozilla/jpg-progressive.jpg", 32, 32);
    valid("jpeg-decoder/mozilla/jpg-gray.jpg", 32, 32);
    valid("jpeg-decoder/mozilla/jpg-cmyk-1.jpg", 32, 32);
    valid("jpeg-decoder/mozilla/jpg-cmyk-2.jpg", 256, 256);
    valid("jpeg-decoder/mozilla/jpg-size-1x1.jpg", 1, 1);
    valid("jpeg-decoder/mozilla/jpg-srgb-icc.jpg", 1, 1);
    valid("jpeg-decoder/restarts.jpg", 33, 33);
    valid("pillow/pil_sample_cmyk.jpg", 100, 100); // YCCK
    valid("pillow/hopper_gray.jpg", 128, 128);
    valid("pillow/hopper_16bit_qtables.jpg", 128, 128); // SOF1, 16-bit quantisation tables
    valid("pillow/invalid-exif.jpg", 200, 200); // broken EXIF: no rotation, no failure
    for (int orientation = 2; orientation <= 8; orientation++) {
      valid("pillow/hopper_orientation_" + orientation + ".jpg", 128, 128);
    }
    valid("pillow/orientation_rectangle.jpg", 1, 2); // stored 2x1, orientation 8
    valid("exif-orientation-examples/Landscape_3.jpg", 1800, 1200);
    valid("exif-orientation-examples/Landscape_6.jpg", 1800, 1200); // stored 1200x1800
    valid("libjpeg-turbo/testorig.jpg", 227, 149);
    valid("libjpeg-turbo/testimgari.jpg", 227, 149); // arithmetic coding
    valid("pillow/decompression_bomb_extents.gif", 100, 100); // only frame 1 is decoded; frame 2 is the bomb
    valid("pillow/dispose_bgnd.gif", 100, 100);

    for (String name : List.of("xc1n0g08", "xc9n2c08", "xcrn0g04", "xcsn0g01", "xd0n2c08", "xd3n2c08", "xd9n2c08",
        "xdtn0g01", "xhdn0g08", "xlfn0g04", "xs1n0g01", "xs2n0g01", "xs4n0g01", "xs7n0g01")) {
      hostile("pngsuite/" + name + ".png");
    }
    for (String name : List.of("bad_iCCP", "badadler", "badcrc", "empty_ancillary_chunks", "huge_IDAT",
        "huge_eXIf_chunk", "huge_iCCP_chunk", "huge_zTXt_chunk")) {
      hostile("libpng-crashers/" + name + ".png");
    }
    // Already among the end-to-end images, outside corpus/.
    HOSTILE.put("pillow/truncated_jpeg.jpg", () -> Images.resource("pillow/truncated_jpeg.jpg"));
    for (String path : List.of("pillow/truncated_app14.jpg", "pillow/hopper_bad_exif.jpg",
        "pillow/broken.png", "pillow/truncated_image.png", "pillow/broken_data_stream.png",
        "pillow/decompression_bomb.gif", "pillow/reallybig.bmp", "pillow/shortfile.bmp", "pillow/hopper.webp",
        "jpeg-decoder/partial_progressive.jpg", "jpeg-decoder/extraneous-data.jpg",
        "jpeg-decoder/progressive-missing-dc.jpg", "jpeg-decoder/crashtest/max_size.jpg",
        "jpeg-decoder/crashtest/null_height.jpg", "jpeg-decoder/crashtest/invalid-dimensions.jpg",
        "jpeg-decoder/crashtest/missing-sos.jpg", "jpeg-decoder/crashtest/derive-huffman-codes-overflow.jpg",
        "jpeg-decoder/crashtest/dc-predictor-overflow.jpg", "libjpeg-turbo/monkey12.jpg")) {
      hostile(path);
    }
    HOSTILE.put("crafted: PNG claiming 30000x30000", () -> floodPng(30_000, 30_000));
    HOSTILE.put("crafted: JPEG claiming 30000x30000", () -> floodJpeg(30_000, 30_000));
    HOSTILE.put(SCAN_BOMB, () -> scanBomb(5000));
    HOSTILE.put(BYTES_BOMB, () -> floodPng(7000, 6000, 16, 6));
    HOSTILE.put("crafted: zero bytes", () -> new byte[0]);
    HOSTILE.put("crafted: text named .png", () -> "<html><body>not an image</body></html>\n"
        .getBytes(StandardCharsets.UTF_8));
  }

  private static final Map<String, Uploaded> UPLOADS = new LinkedHashMap<>();

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;
  private final Backend backend = new Backend(stack);

  private record Uploaded(String id, ApiClient.Response response) {
  }

  @BeforeAll
  static void uploadEverythingFirst() {
    ApiClient api = TestStack.get().api;
    VALID.keySet().forEach(path -> UPLOADS.put(path, upload(api, fileName(path), resource(path))));
    HOSTILE.forEach((name, bytes) -> UPLOADS.put(name, upload(api, fileName(name), bytes.get())));
  }

  private static Uploaded upload(ApiClient api, String filename, byte[] bytes) {
    String id = api.createImage();
    return new Uploaded(id, api.upload(id, "file", filename, bytes));
  }

  static Stream<Arguments> validFiles() {
    return VALID.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()[0], e.getValue()[1]));
  }

  static Stream<String> hostileFiles() {
    return HOSTILE.keySet().stream();
  }

  @Order(1)
  @ParameterizedTest(name = "{0} -> processed {1}x{2}")
  @MethodSource("validFiles")
  void everyValidFileIsProcessedUpright(String path, int width, int height) {
    Uploaded uploaded = UPLOADS.get(path);
    assertThat(uploaded.response().status()).as(uploaded.response().toString()).isEqualTo(202);

    JsonObject done = api.awaitFinal(uploaded.id());

    assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");
    assertThat(done.getLong("version")).as("processed on the first receive").isEqualTo(2);
    JsonObject result = done.getJsonObject("result");
    assertThat(result.getInteger("width")).isEqualTo(width);
    assertThat(result.getInteger("height")).isEqualTo(height);
    BufferedImage output = Images.decode(api.bytes(result.getString("url")));
    assertThat(output.getWidth()).isEqualTo(width);
    assertThat(output.getHeight()).isEqualTo(height);
    BufferedImage thumbnail = Images.decode(api.bytes(result.getString("thumbnailUrl")));
    assertThat(thumbnail.getWidth() > thumbnail.getHeight()).isEqualTo(width > height);
  }

  @Order(2)
  @ParameterizedTest(name = "{0} -> 4xx or failed once")
  @MethodSource("hostileFiles")
  void everyBrokenOrHostileFileIsRefusedOrFailsOnItsFirstReceive(String name) {
    Uploaded uploaded = UPLOADS.get(name);
    String id = uploaded.id();
    int status = uploaded.response().status();

    if (status != 202) {
      assertThat(status).as(uploaded.response().toString()).isIn(400, 415);
      assertThat(uploaded.response().json().getString("error")).isNotBlank();
      JsonObject record = api.get("/image/" + id).json();
      assertThat(record.getString("state")).as("refused at upload: nothing recorded").isEqualTo("created");
      assertThat(backend.keys("raw/" + id + "/")).isEmpty();
    } else {
      JsonObject failed = api.awaitFinal(id);
      assertThat(failed.getString("state")).as(failed.encode()).isEqualTo("failed");
      assertThat(failed.getString("failureReason")).isNotBlank();
      assertThat(failed.containsKey("result")).isFalse();
      assertThat(failed.getLong("version")).as("created 0, uploaded 1, failed 2: one receive, no retry")
          .isEqualTo(2);
    }
    assertThat(backend.keys("processed/" + id + "/")).isEmpty();
  }

  @Order(2)
  @Test
  void costBombsFailForTheirCostNotAsCorruptData() {
    JsonObject scans = api.awaitFinal(UPLOADS.get(SCAN_BOMB).id());
    assertThat(scans.getString("failureReason")).as(scans.encode())
        .startsWith("progressive JPEG with more than 100 scans, over the limit of 100");
    JsonObject bytes = api.awaitFinal(UPLOADS.get(BYTES_BOMB).id());
    assertThat(bytes.getString("failureReason")).as(bytes.encode())
        .isEqualTo("image is 7000x6000 PNG and needs about 720 MiB of memory to process, over the limit of 512 MiB");
  }

  @Order(3)
  @Test
  void afterwardsNoJobIsDeadAndTheWorkerKeepsServing() {
    for (Uploaded uploaded : UPLOADS.values()) {
      if (uploaded.response().status() == 202) {
        api.awaitFinal(uploaded.id());
      }
    }
    assertThat(backend.deadLetters()).isZero();

    String id = api.createImage();
    assertThat(api.upload(id, Images.resource("pillow/hopper.jpg")).status()).isEqualTo(202);
    JsonObject done = api.awaitFinal(id);

    assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");
    assertThat(backend.deadLetters()).isZero();
  }

  private static void valid(String path, int width, int height) {
    VALID.put(path, new int[] {width, height});
  }

  private static void hostile(String path) {
    HOSTILE.put(path, () -> resource(path));
  }

  private static byte[] resource(String path) {
    return Images.resource("corpus/" + path);
  }

  /** The name the client sends; the server must judge by the bytes only. */
  private static String fileName(String nameOrPath) {
    if (nameOrPath.startsWith("crafted: ")) {
      return nameOrPath.contains("JPEG") ? "flood.jpg" : "upload.png"; // the scan bomb is a .jpg too
    }
    return nameOrPath.substring(nameOrPath.lastIndexOf('/') + 1);
  }

  /** A PNG with correct CRCs whose IHDR claims {@code width x height} RGB, with a tiny IDAT and 64 KiB of padding. */
  static byte[] floodPng(int width, int height) {
    return floodPng(width, height, 8, 2);
  }

  /** {@link #floodPng(int, int)} with this bit depth and colour type (6: RGBA). */
  static byte[] floodPng(int width, int height, int bitDepth, int colourType) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    byte[] ihdr = new byte[13];
    putInt(ihdr, 0, width);
    putInt(ihdr, 4, height);
    ihdr[8] = (byte) bitDepth;
    ihdr[9] = (byte) colourType;
    pngChunk(out, "IHDR", ihdr);
    Deflater deflater = new Deflater();
    deflater.setInput(new byte[4]);
    deflater.finish();
    byte[] z = new byte[64];
    int n = deflater.deflate(z);
    deflater.end();
    pngChunk(out, "IDAT", java.util.Arrays.copyOf(z, n));
    byte[] padding = new byte[64 * 1024];
    new Random(3).nextBytes(padding);
    pngChunk(out, "IDAT", padding);
    pngChunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  /** A baseline JPEG header (DQT, SOF0, DHT, SOS) claiming {@code width x height}, then 64 KiB of scan data. */
  static byte[] floodJpeg(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD8});
    byte[] dqt = new byte[65];
    java.util.Arrays.fill(dqt, 1, 65, (byte) 1);
    jpegSegment(out, 0xDB, dqt);
    jpegSegment(out, 0xC0, new byte[] {8, (byte) (height >> 8), (byte) height, (byte) (width >> 8), (byte) width,
        1, 1, 0x11, 0});
    byte[] dht = new byte[36];
    dht[1] = 1;
    dht[18] = 0x10;
    dht[19] = 1;
    jpegSegment(out, 0xC4, dht);
    jpegSegment(out, 0xDA, new byte[] {1, 1, 0x00, 0, 63, 0});
    Random random = new Random(5);
    for (int i = 0; i < 64 * 1024; i++) {
      out.write(random.nextInt(255)); // never 0xFF
    }
    out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD9});
    return out.toByteArray();
  }

  /**
   * A 256x256 progressive JPEG from the first JPEG encoder (10 scans) whose last scan, a refinement pass, is repeated
   * {@code copies} more times before EOI: each copy is one more walk of libjpeg over every block.
   */
  static byte[] scanBomb(int copies) {
    // A smooth picture: its refinement scans are a few bytes each, so 5000 copies stay well under the upload limit.
    BufferedImage img = new BufferedImage(256, 256, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 256; y++) {
      for (int x = 0; x < 256; x++) {
        img.setRGB(x, y, (x << 16) | (y << 8) | 0x80);
      }
    }
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try (ImageOutputStream ios = new MemoryCacheImageOutputStream(jpeg)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      writer.setOutput(ios);
      writer.write(null, new IIOImage(img, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    byte[] b = jpeg.toByteArray();
    int lastSos = -1;
    for (int i = 0; i + 1 < b.length; i++) {
      if (b[i] == (byte) 0xFF && b[i + 1] == (byte) 0xDA) {
        lastSos = i;
      }
    }
    int eoi = b.length - 2;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(b, 0, eoi);
    for (int i = 0; i < copies; i++) {
      out.write(b, lastSos, eoi - lastSos);
    }
    out.write(b, eoi, 2);
    return out.toByteArray();
  }

  private static void pngChunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] length = new byte[4];
    putInt(length, 0, data.length);
    out.writeBytes(length);
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(t);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    byte[] c = new byte[4];
    putInt(c, 0, (int) crc.getValue());
    out.writeBytes(c);
  }

  private static void jpegSegment(ByteArrayOutputStream out, int marker, byte[] payload) {
    out.write(0xFF);
    out.write(marker);
    out.write((payload.length + 2) >> 8);
    out.write(payload.length + 2);
    out.writeBytes(payload);
  }

  private static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }
}
