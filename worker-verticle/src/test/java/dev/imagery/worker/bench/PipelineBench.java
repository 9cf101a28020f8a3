package dev.imagery.worker.bench;

import dev.imagery.worker.image.ImageEncoder;
import dev.imagery.worker.image.ImagePipeline;
import dev.imagery.worker.image.JpegCodec;
import dev.imagery.worker.image.OutputFormat;
import dev.imagery.worker.image.PipelineOptions;
import dev.imagery.worker.image.ProcessedImage;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The pipeline side of {@code bench/pipeline.sh}: not a test, and not in the product jar (test sources). It runs
 * the product's {@link ImagePipeline#process} on files held in memory, one request per stdin line, so that the
 * script can alternate it with sharp while both processes stay warm.
 *
 * <pre>
 *   run FILE POLICY   -> ok WALL_US CPU_US DECODE_MS FILTER_MS ENCODE_MS THUMB_MS RESULT_BYTES THUMB_BYTES
 *   codec             -> ok DESCRIPTION (IMAGERY_JPEG_CODEC, as the worker reads it: auto or imageio)
 *   quit
 * </pre>
 * CPU is the whole process's (every JVM thread, so GC and JIT count), over the one call. Also:
 * {@code PipelineBench --to-png IN OUT} writes IN's decoded pixels as a PNG (a bench input, not a measurement).
 */
public final class PipelineBench {

    private PipelineBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("--to-png")) {
            BufferedImage img = ImageIO.read(Path.of(args[1]).toFile());
            Files.write(Path.of(args[2]), new ImageEncoder().encode(img, OutputFormat.PNG, 1f));
            return;
        }
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        // The worker's own knob, so that the script can run either path.
        JpegCodec codec = JpegCodec.valueOf(System.getenv().getOrDefault("IMAGERY_JPEG_CODEC", "auto")
                .toUpperCase(java.util.Locale.ROOT));
        ImagePipeline pipeline = new ImagePipeline(codec);
        Map<String, byte[]> files = new HashMap<>();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] cmd = line.trim().split("\\s+");
            if (cmd[0].equals("quit")) {
                break;
            }
            if (cmd[0].equals("codec")) {
                out.println("ok " + codec.describe());
                continue;
            }
            if (!cmd[0].equals("run") || cmd.length != 3) {
                out.println("error unknown command: " + line);
                continue;
            }
            try {
                byte[] bytes = files.computeIfAbsent(cmd[1], PipelineBench::read);
                PipelineOptions opts = new PipelineOptions(PipelineOptions.DEFAULT_MAX_PIXELS, cmd[2],
                        ImageEncoder.DEFAULT_JPEG_QUALITY, PipelineOptions.DEFAULT_THUMBNAIL_SIZE);
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                ProcessedImage p = pipeline.process(new ByteArrayInputStream(bytes), opts);
                long wall = System.nanoTime() - t0;
                long cpu = os.getProcessCpuTime() - cpu0;
                out.printf("ok %d %d %d %d %d %d %d %d%n", wall / 1000, cpu / 1000, p.decodeMs(), p.filterMs(),
                        p.encodeMs(), p.thumbnailMs(), p.result().length, p.thumbnail().length);
            } catch (Exception e) {
                out.println("error " + e.toString().replaceAll("\\s+", " "));
            }
        }
    }

    private static byte[] read(String path) {
        try {
            return Files.readAllBytes(Path.of(path));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
