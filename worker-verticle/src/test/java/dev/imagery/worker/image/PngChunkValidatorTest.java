package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** PNG chunk CRCs and lengths are checked, which the JDK's reader does not do. */
class PngChunkValidatorTest {

    private final ImageDecoder decoder = new ImageDecoder();

    @ParameterizedTest
    @ValueSource(strings = {"pngsuite/basn2c08.png", "pngsuite/basi2c08.png", "pngsuite/ct1n0g04.png",
        "pngsuite/ctzn0g04.png", "pngsuite/oi9n2c16.png", "pngsuite/z00n2c08.png", "pngsuite/tbbn3p08.png"})
    void validFilesHaveNoProblem(String path) throws IOException {
        PngChunkValidator v = drain(TestImages.bytes(path), 8192);

        assertThat(v.isPng()).isTrue();
        assertThat(v.problem()).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "pngsuite/xcsn0g01.png|CRC error in PNG chunk IDAT",
        "pngsuite/xhdn0g08.png|CRC error in PNG chunk IHDR",
        "libpng-crashers/badcrc.png|CRC error in PNG chunk IDAT",
        "libpng-crashers/huge_IDAT.png|the PNG is truncated: it ends inside chunk IDAT",
        "libpng-crashers/huge_iCCP_chunk.png|the PNG is truncated: it ends inside chunk iCCP",
        "libpng-crashers/huge_zTXt_chunk.png|the PNG is truncated: it ends inside chunk zTXt",
        "libpng-crashers/huge_eXIf_chunk.png|the PNG is truncated: it ends inside chunk eXIf",
    })
    void structuralDamageIsNamed(String path, String problem) throws IOException {
        byte[] data = TestImages.bytes(path);

        assertThat(drain(data, 8192).problem()).isEqualTo(problem);
        assertThat(drain(data, 1).problem()).as("byte by byte").isEqualTo(problem);
    }

    @Test
    void theJdkDecodesTheseButWeRejectThem() {
        // The stock reader returns pixels for all four (see the corpus's jdk-behaviour notes).
        for (String path : new String[] {"pngsuite/xcsn0g01.png", "pngsuite/xhdn0g08.png",
            "libpng-crashers/badcrc.png", "libpng-crashers/huge_IDAT.png"}) {
            assertThat(TestImages.readWithImageIo(TestImages.bytes(path))).as(path).isNotNull();

            ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                    () -> decoder.decode(TestImages.open(path), 50_000_000L));

            assertThat(e).as(path).isNotNull();
            assertThat(e.reason()).isEqualTo(RejectReason.CORRUPT);
            assertThat(e.getMessage()).startsWith("the png data is corrupt: ");
        }
    }

    @Test
    void aPngCutAnywhereIsTruncated() throws IOException {
        byte[] data = TestImages.bytes("pngsuite/basn2c08.png");
        for (int cut = 9; cut < data.length; cut++) {
            assertThat(drain(Arrays.copyOf(data, cut), 8192).problem()).as("cut at %d", cut)
                    .startsWith("the PNG is truncated");
        }
    }

    @Test
    void bytesAfterIendAreNotChecked() throws IOException {
        byte[] data = TestImages.bytes("pngsuite/basn2c08.png");
        byte[] trailing = Arrays.copyOf(data, data.length + 100);
        Arrays.fill(trailing, data.length, trailing.length, (byte) 0xAB);

        assertThat(drain(trailing, 8192).problem()).isNull();
    }

    @Test
    void aChunkLengthOverTwoGigabytesOrABadTypeIsAProblem() throws IOException {
        byte[] data = TestImages.bytes("pngsuite/basn2c08.png");
        byte[] longChunk = data.clone();
        longChunk[8] = (byte) 0x80; // IHDR length 0x8000000D
        assertThat(drain(longChunk, 8192).problem()).contains("over the format's limit");

        byte[] badType = data.clone();
        badType[12] = '1'; // "1HDR"
        assertThat(drain(badType, 8192).problem()).startsWith("invalid PNG chunk type");

        byte[] notFirst = data.clone();
        notFirst[12] = 'J'; // "JHDR": a valid-looking type, but IHDR must come first
        assertThat(drain(notFirst, 8192).problem()).isEqualTo("the PNG does not start with IHDR");
    }

    @Test
    void otherFormatsPassThroughUnchecked() throws IOException {
        PngChunkValidator v = drain(TestImages.bytes("pillow/hopper.jpg"), 8192);

        assertThat(v.isPng()).isFalse();
        assertThat(v.problem()).isNull();
        assertThat(drain(new byte[3], 8192).problem()).as("shorter than a signature").isNull();
    }

    @Test
    void finishReadsOnlyUpToIend() throws IOException {
        byte[] data = TestImages.bytes("pngsuite/basn2c08.png");
        byte[] trailing = Arrays.copyOf(data, data.length + 50_000);
        Crafted.CountingInputStream counting = new Crafted.CountingInputStream(new ByteArrayInputStream(trailing));
        PngChunkValidator v = new PngChunkValidator(counting);

        v.finish();

        assertThat(v.problem()).isNull();
        assertThat(counting.count).isLessThan(data.length + 16 * 1024);
    }

    /** Reads everything through a validator in reads of at most {@code step} bytes. */
    private static PngChunkValidator drain(byte[] data, int step) throws IOException {
        PngChunkValidator v = new PngChunkValidator(new ByteArrayInputStream(data));
        byte[] buf = new byte[step];
        if (step == 1) {
            while (v.read() >= 0) {
                // byte by byte
            }
        } else {
            InputStream in = v;
            while (in.read(buf, 0, step) >= 0) {
                // keep reading
            }
        }
        return v;
    }
}
