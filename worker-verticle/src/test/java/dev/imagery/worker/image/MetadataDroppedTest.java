package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Nothing that rides along in an upload (EXIF, GPS, ICC, comments, text chunks) survives re-encoding. */
class MetadataDroppedTest {

    private final ImagePipeline pipeline = new ImagePipeline();

    @ParameterizedTest
    @ValueSource(strings = {"jpeg-decoder/mozilla/jpg-srgb-icc.jpg", "exif-orientation-examples/Landscape_6.jpg",
        "pillow/pil_sample_cmyk.jpg"})
    void realJpegsWithMetadataComeOutWithoutIt(String path) throws Exception {
        byte[] input = TestImages.bytes(path);
        assertThat(jpegMarkers(input)).as("the input carries metadata")
                .containsAnyOf("APP1 Exif", "APP2 ICC_PROFILE", "APP14 Adobe", "COM");

        ProcessedImage out = pipeline.process(new ByteArrayInputStream(input), PipelineOptions.defaults());

        assertThat(out.resultFormat()).isEqualTo(OutputFormat.JPEG);
        assertOnlyImageSegments(out.result());
        assertOnlyImageSegments(out.thumbnail());
    }

    @Test
    void aJpegWithExifGpsIccCommentAndPhotoshopSegmentsComesOutWithout() throws Exception {
        byte[] hopper = TestImages.bytes("pillow/hopper.jpg");
        byte[] iccPayload = new byte[14 + 128];
        System.arraycopy("ICC_PROFILE\0".getBytes(StandardCharsets.ISO_8859_1), 0, iccPayload, 0, 12);
        iccPayload[12] = 1;
        iccPayload[13] = 1;
        byte[] input = Crafted.withSegmentsAfterSoi(hopper,
                Crafted.exifApp1(1, false),
                Crafted.segmentBytes(0xE1, "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret</x:xmpmeta>"
                        .getBytes(StandardCharsets.ISO_8859_1)),
                Crafted.segmentBytes(0xE2, iccPayload),
                Crafted.segmentBytes(0xED, "Photoshop 3.0\08BIM".getBytes(StandardCharsets.ISO_8859_1)),
                Crafted.segmentBytes(0xFE, "GPS 48.8584 N 2.2945 E, secret comment".getBytes(StandardCharsets.UTF_8)));
        assertThat(jpegMarkers(input)).contains("APP1 Exif", "APP1 http://ns.ad", "APP2 ICC_PROFILE",
                "APP13 Photoshop 3.", "COM");

        ProcessedImage out = pipeline.process(new ByteArrayInputStream(input), PipelineOptions.defaults());

        assertOnlyImageSegments(out.result());
        assertOnlyImageSegments(out.thumbnail());
        assertThat(new String(out.result(), StandardCharsets.ISO_8859_1)).doesNotContain("secret", "Exif", "8BIM");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pngsuite/ct1n0g04.png", "pngsuite/ctzn0g04.png", "pngsuite/ctjn0g04.png",
        "pngsuite/cten0g04.png", "pngsuite/g04n0g16.png"})
    void pngsWithTextAndGammaChunksComeOutWithOnlyImageChunks(String path) throws Exception {
        byte[] input = TestImages.bytes(path);
        assertThat(pngChunks(input)).as("the input carries ancillary chunks")
                .containsAnyOf("tEXt", "zTXt", "iTXt", "gAMA");

        ProcessedImage out = pipeline.process(new ByteArrayInputStream(input), PipelineOptions.defaults());

        assertThat(out.resultFormat()).isEqualTo(OutputFormat.PNG);
        assertThat(pngChunks(out.result())).containsOnly("IHDR", "IDAT", "IEND");
        assertThat(pngChunks(out.result()).get(0)).isEqualTo("IHDR");
        assertOnlyImageSegments(out.thumbnail());
    }

    @Test
    void aPngWithAnExifChunkComesOutWithoutIt() throws Exception {
        byte[] png = TestImages.bytes("pngsuite/basn2c08.png");
        java.io.ByteArrayOutputStream withExif = new java.io.ByteArrayOutputStream();
        withExif.write(png, 0, 33); // signature + IHDR
        Crafted.chunk(withExif, "eXIf", Crafted.exifTiff(6, false));
        Crafted.chunk(withExif, "tEXt", "Comment\0secret".getBytes(StandardCharsets.ISO_8859_1));
        withExif.write(png, 33, png.length - 33);
        assertThat(pngChunks(withExif.toByteArray())).contains("eXIf", "tEXt");

        ProcessedImage out = pipeline.process(new ByteArrayInputStream(withExif.toByteArray()),
                PipelineOptions.defaults());

        assertThat(pngChunks(out.result())).containsOnly("IHDR", "IDAT", "IEND");
        assertThat(out.width()).isEqualTo(32);
    }

    @Test
    void theJdksOwnJpegWriterIsUsedNotTheFirstRegistered() {
        // TwelveMonkeys registers a JPEG writer ahead of the JDK's; the encoder picks the JDK's explicitly.
        javax.imageio.ImageWriter writer = ImageEncoder.firstWriter("jpeg");
        try {
            assertThat(writer.getClass().getName()).isEqualTo("com.sun.imageio.plugins.jpeg.JPEGImageWriter");
        } finally {
            writer.dispose();
        }
    }

    /** Segments of a JPEG up to SOS: the image itself needs SOI, JFIF APP0, DQT, SOFn, DHT, DRI, SOS only. */
    private static void assertOnlyImageSegments(byte[] jpeg) {
        List<String> markers = jpegMarkers(jpeg);
        assertThat(markers).first().isEqualTo("SOI");
        assertThat(markers).last().isEqualTo("SOS");
        for (String m : markers) {
            assertThat(m).as("segments %s", markers)
                    .matches("SOI|APP0 JFIF|DQT|SOF[0-9]+|DHT|DRI|SOS");
        }
    }

    /** Marker names up to and including the first SOS; APPn with their identifier, e.g. "APP1 Exif". */
    static List<String> jpegMarkers(byte[] jpeg) {
        List<String> out = new ArrayList<>();
        assertThat(jpeg[0] & 0xFF).isEqualTo(0xFF);
        assertThat(jpeg[1] & 0xFF).isEqualTo(0xD8);
        out.add("SOI");
        int i = 2;
        while (i + 4 <= jpeg.length) {
            assertThat(jpeg[i] & 0xFF).as("marker at %d", i).isEqualTo(0xFF);
            int marker = jpeg[i + 1] & 0xFF;
            int length = (jpeg[i + 2] & 0xFF) << 8 | (jpeg[i + 3] & 0xFF);
            String name;
            if (marker >= 0xE0 && marker <= 0xEF) {
                int end = i + 4;
                while (end < i + 2 + length && end < i + 4 + 12 && jpeg[end] != 0) {
                    end++;
                }
                name = "APP" + (marker - 0xE0) + " " + new String(jpeg, i + 4, end - i - 4, StandardCharsets.ISO_8859_1);
            } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                name = "SOF" + (marker - 0xC0);
            } else {
                name = switch (marker) {
                    case 0xDB -> "DQT";
                    case 0xC4 -> "DHT";
                    case 0xDD -> "DRI";
                    case 0xDA -> "SOS";
                    case 0xFE -> "COM";
                    default -> String.format("0x%02X", marker);
                };
            }
            out.add(name);
            if (marker == 0xDA) {
                break;
            }
            i += 2 + length;
        }
        return out;
    }

    static List<String> pngChunks(byte[] png) {
        List<String> out = new ArrayList<>();
        int i = 8;
        while (i + 8 <= png.length) {
            long length = (png[i] & 0xFFL) << 24 | (png[i + 1] & 0xFF) << 16 | (png[i + 2] & 0xFF) << 8 | (png[i + 3] & 0xFF);
            out.add(new String(png, i + 4, 4, StandardCharsets.ISO_8859_1));
            i += 12 + (int) length;
        }
        return out;
    }
}
