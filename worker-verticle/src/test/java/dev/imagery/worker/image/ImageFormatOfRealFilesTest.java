package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.shared.image.ImageFormat;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The API's format check (shared {@link ImageFormat}) on real files, from as many bytes as it reads. */
class ImageFormatOfRealFilesTest {

    @ParameterizedTest
    @CsvSource({
        "pillow/hopper.jpg, JPEG",
        "pillow/hopper.gif, GIF",
        "pillow/hopper.bmp, BMP",
        "pillow/hopper.webp, WEBP",
        "pngsuite/basn2c08.png, PNG",
        "jpeg-decoder/mozilla/jpg-progressive.jpg, JPEG",
    })
    void recognisesRealFilesFromTheirFirstBytes(String path, ImageFormat format) {
        byte[] head = Arrays.copyOf(TestImages.bytes(path), ImageFormat.MIN_SNIFF_BYTES);

        assertThat(ImageFormat.sniff(head)).contains(format);
    }
}
