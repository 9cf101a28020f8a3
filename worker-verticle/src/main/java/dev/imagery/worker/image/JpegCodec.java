package dev.imagery.worker.image;

import java.util.Optional;

/** Which library decodes and encodes JPEGs ({@code IMAGERY_JPEG_CODEC}). */
public enum JpegCodec {
    /**
     * TurboJPEG when Debian's libturbojpeg-java is installed (the worker's container images), ImageIO otherwise
     * and for the JPEGs TurboJPEG would colour differently (see {@link ImageDecoder}).
     */
    AUTO,
    /** Always ImageIO (with TwelveMonkeys' reader): the embedded default's path, wherever the pipeline runs. */
    IMAGEIO;

    /** The TurboJPEG binding this choice uses, if any. */
    Optional<TurboJpeg> turboJpeg() {
        return this == AUTO ? TurboJpeg.system() : Optional.empty();
    }

    /** What this choice means on this machine, for the start-up log. */
    public String describe() {
        return turboJpeg().isPresent()
                ? "TurboJPEG (" + TurboJpeg.DEBIAN_JAR + "), ImageIO for CMYK, Adobe, ICC-profiled, 12-bit and"
                        + " many-scan JPEGs"
                : "ImageIO" + (this == AUTO ? " (no TurboJPEG at " + TurboJpeg.DEBIAN_JAR + ")" : "");
    }
}
