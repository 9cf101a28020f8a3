package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every file of the test corpus through the whole pipeline: valid ones come out with their upright size, broken
 * and hostile ones are rejected with a reason (never a RuntimeException, which the worker would retry).
 */
class CorpusTest {

    private final ImagePipeline pipeline = new ImagePipeline();

    @ParameterizedTest
    @CsvSource({
        "pngsuite/basn2c08.png, 32, 32",
        "pngsuite/basi2c08.png, 32, 32",
        "pngsuite/basn0g16.png, 32, 32",
        "pngsuite/basn3p08.png, 32, 32",
        "pngsuite/basn4a08.png, 32, 32",
        "pngsuite/basn6a16.png, 32, 32",
        "pngsuite/basi0g01.png, 32, 32",
        "pngsuite/tbrn2c08.png, 32, 32",
        "pngsuite/tbbn3p08.png, 32, 32",
        "pngsuite/tp1n3p08.png, 32, 32",
        "pngsuite/ct1n0g04.png, 32, 32",
        "pngsuite/ctzn0g04.png, 32, 32",
        "pngsuite/ctjn0g04.png, 32, 32",
        "pngsuite/cten0g04.png, 32, 32",
        "pngsuite/g04n0g16.png, 32, 32",
        "pngsuite/oi9n2c16.png, 32, 32",
        "pngsuite/z00n2c08.png, 32, 32",
        "pngsuite/s01i3p01.png, 1, 1",
        "pillow/hopper.jpg, 128, 128",
        "pillow/hopper_gray.jpg, 128, 128",
        "pillow/hopper.gif, 128, 128",
        "pillow/hopper.bmp, 128, 128",
        "pillow/pil_sample_cmyk.jpg, 100, 100",
        "pillow/pil_sample_rgb.jpg, 100, 100",
        "pillow/hopper_16bit_qtables.jpg, 128, 128",
        "pillow/invalid-exif.jpg, 200, 200",
        "pillow/orientation_rectangle.jpg, 1, 2",
        "pillow/hopper_orientation_6.jpg, 128, 128",
        "pillow/decompression_bomb_extents.gif, 100, 100",
        "jpeg-decoder/mozilla/jpg-progressive.jpg, 32, 32",
        "jpeg-decoder/mozilla/jpg-cmyk-1.jpg, 32, 32",
        "jpeg-decoder/mozilla/jpg-cmyk-2.jpg, 256, 256",
        "jpeg-decoder/mozilla/jpg-gray.jpg, 32, 32",
        "jpeg-decoder/mozilla/jpg-srgb-icc.jpg, 1, 1",
        "jpeg-decoder/restarts.jpg, 33, 33",
        "jpeg-decoder/16bit-qtables.jpg, 1, 1",
        "libjpeg-turbo/testorig.jpg, 227, 149",
        "libjpeg-turbo/testimgari.jpg, 227, 149",
        "exif-orientation-examples/Landscape_8.jpg, 1800, 1200",
    })
    void validFilesAreProcessed(String path, int width, int height) throws Exception {
        ProcessedImage out = pipeline.process(TestImages.open(path), PipelineOptions.defaults());

        assertThat(out.width()).isEqualTo(width);
        assertThat(out.height()).isEqualTo(height);
        BufferedImage result = TestImages.readWithImageIo(out.result());
        assertThat(result.getWidth()).isEqualTo(width);
        assertThat(result.getHeight()).isEqualTo(height);
    }

    @ParameterizedTest
    @CsvSource({
        "pngsuite/xs1n0g01.png, UNSUPPORTED_FORMAT",
        "pngsuite/xc1n0g08.png, CORRUPT",
        "pngsuite/xcsn0g01.png, CORRUPT",
        "pngsuite/xhdn0g08.png, CORRUPT",
        "pngsuite/xdtn0g01.png, CORRUPT",
        "libpng-crashers/bad_iCCP.png, CORRUPT",
        "libpng-crashers/badadler.png, CORRUPT",
        "libpng-crashers/badcrc.png, CORRUPT",
        "libpng-crashers/empty_ancillary_chunks.png, CORRUPT",
        "libpng-crashers/huge_IDAT.png, CORRUPT",
        "libpng-crashers/huge_eXIf_chunk.png, CORRUPT",
        "libpng-crashers/huge_iCCP_chunk.png, CORRUPT",
        "libpng-crashers/huge_zTXt_chunk.png, CORRUPT",
        "pillow/broken.png, CORRUPT",
        "pillow/truncated_image.png, CORRUPT",
        "pillow/truncated_jpeg.jpg, CORRUPT",
        "pillow/truncated_app14.jpg, CORRUPT",
        "pillow/hopper_bad_exif.jpg, CORRUPT",
        "pillow/decompression_bomb.gif, TOO_MANY_PIXELS",
        "pillow/hopper.webp, UNSUPPORTED_FORMAT",
        "jpeg-decoder/partial_progressive.jpg, CORRUPT",
        "jpeg-decoder/crashtest/max_size.jpg, TOO_MANY_PIXELS",
        "jpeg-decoder/crashtest/null_height.jpg, CORRUPT",
        "jpeg-decoder/crashtest/empty.jpg, EMPTY",
        "libjpeg-turbo/monkey12.jpg, UNSUPPORTED_FORMAT",
    })
    void brokenAndHostileFilesAreRejectedWithAReason(String path, RejectReason reason) {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> pipeline.process(TestImages.open(path), PipelineOptions.defaults()));

        assertThat(e).as("%s must be rejected", path).isNotNull();
        assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
        assertThat(e.getMessage()).isNotBlank();
    }
}
