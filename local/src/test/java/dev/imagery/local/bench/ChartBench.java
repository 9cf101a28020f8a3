package dev.imagery.local.bench;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * {@code bench/chart.sh}: draws {@code docs/benchmarks.png} from the results the benchmark scripts write
 * ({@code bench/results/*.json}, see {@code bench/lib/result.sh}): one horizontal bar per target, its length the
 * measured ratio (higher is better), a black tick at the target, green when met and red when missed, each labelled
 * with the ratio, the target and what it is compared with. Results whose figures were copied from a document
 * rather than measured by a script ({@code details.source}) are drawn pale and say so.
 *
 * <pre>
 * ChartBench RESULTS_DIR OUTPUT.png
 * </pre>
 *
 * <p>JFreeChart, test scope: charting is not the product's business, and it has no dependencies of its own.
 */
public final class ChartBench {

  static final Color MET = new Color(0x2e, 0x7d, 0x32);
  static final Color MISSED = new Color(0xc6, 0x28, 0x28);
  /** Alpha of a bar whose figures were copied from a document, not measured by the script that owns them. */
  private static final int COPIED_ALPHA = 110;
  private static final int WIDTH = 1500;
  private static final int HEIGHT_PER_BAR = 64;
  private static final int HEIGHT_FIXED = 190;

  private ChartBench() {
  }

  /** One result file: the fields {@code bench/lib/result.sh} writes. */
  record Result(String name, double ratio, double target, String peer, String measuredAt, double load,
      String label, String ratioIs, String source) {

    boolean met() {
      return ratio >= target;
    }

    /** The axis label: what was measured, against what, when, and how busy the machine was. */
    String axisLabel() {
      String when = measuredAt.replace('T', ' ').replaceFirst(":\\d\\dZ$", " UTC");
      String origin = source != null
          ? "figures copied from " + source + ", not re-run"
          : "measured " + when + (Double.isNaN(load) ? "" : ", load " + String.format(Locale.ROOT, "%.1f", load));
      return label + "\nvs " + peer + "\n" + origin;
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: ChartBench RESULTS_DIR OUTPUT.png");
    }
    List<Result> results = readAll(Path.of(args[0]));
    Path out = Path.of(args[1]);
    draw(results, out);
    long met = results.stream().filter(Result::met).count();
    System.out.printf("%s: %d targets, %d met, %d missed%n", out, results.size(), met, results.size() - met);
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "  %-32s %6.2fx (target %.2fx) %s%s%n", r.name(), r.ratio(), r.target(),
          r.met() ? "met" : "MISSED", r.source() != null ? " [from " + r.source() + "]" : "");
    }
  }

  /** Every {@code *.json} of the directory, in file-name order (each script's results stay together). */
  static List<Result> readAll(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> listing = Files.list(dir)) {
      files = listing.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no results (*.json) in " + dir + ": run the bench/ scripts first");
    }
    List<Result> results = new ArrayList<>();
    for (Path file : files) {
      results.add(read(file));
    }
    return results;
  }

  /** One result; a file that lacks a field the chart needs is an error naming the file and the field. */
  static Result read(Path file) {
    JsonObject json;
    try {
      json = new JsonObject(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (DecodeException e) {
      throw new IllegalArgumentException(file + ": not JSON: " + e.getMessage(), e);
    }
    JsonObject details = json.getJsonObject("details", new JsonObject());
    String name = required(file, json, "name");
    // The 1-minute figure; a result copied from a document may have none.
    Object load = json.getValue("load_average") instanceof JsonArray a && !a.isEmpty() ? a.getValue(0) : null;
    return new Result(name, number(file, json, "ratio"), number(file, json, "target"), required(file, json, "peer"),
        required(file, json, "measured_at"), load instanceof Number n ? n.doubleValue() : Double.NaN,
        details.getString("label", name), details.getString("ratio_is"), details.getString("source"));
  }

  private static String required(Path file, JsonObject json, String field) {
    Object value = json.getValue(field);
    if (!(value instanceof String text) || text.isBlank()) {
      throw new IllegalArgumentException(file + ": \"" + field + "\" is missing or not a string");
    }
    return text;
  }

  private static double number(Path file, JsonObject json, String field) {
    if (!(json.getValue(field) instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0) {
      throw new IllegalArgumentException(file + ": \"" + field + "\" is missing or not a non-negative number");
    }
    return n.doubleValue();
  }

  static void draw(List<Result> results, Path out) throws IOException {
    DefaultCategoryDataset ratios = new DefaultCategoryDataset();
    DefaultCategoryDataset targets = new DefaultCategoryDataset();
    double top = 1;
    for (Result r : results) {
      // The label is the category's key: two results with one label would share a bar.
      if (ratios.getColumnKeys().contains(r.axisLabel())) {
        throw new IllegalArgumentException("two results with the same label: " + r.label());
      }
      ratios.addValue(r.ratio(), "ratio", r.axisLabel());
      targets.addValue(r.target(), "target", r.axisLabel());
      top = Math.max(top, Math.max(r.ratio(), r.target()));
    }

    CategoryAxis categories = new CategoryAxis();
    categories.setMaximumCategoryLabelLines(3);
    categories.setMaximumCategoryLabelWidthRatio(0.45f);
    categories.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    categories.setCategoryMargin(0.35);
    NumberAxis values = new NumberAxis("ratio (higher is better): a speed is the peer's time / ours, a bound is"
        + " bound / measured");
    // Room on the right for the labels at the end of the bars.
    values.setRange(0, top * 1.3);
    values.setTickUnit(new NumberTickUnit(top > 4 ? 0.5 : 0.25));
    values.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));

    BarRenderer bars = new ResultBars(results);
    bars.setBarPainter(new StandardBarPainter());
    bars.setShadowVisible(false);
    bars.setMaximumBarWidth(0.5);
    // Each label goes right of whichever ends further out, the bar or its target's tick, so that the tick never
    // crosses the text: on the bar when the target is met, on the tick when it is missed.
    ItemLabelPosition rightOf = new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT);
    Font labelFont = new Font(Font.SANS_SERIF, Font.BOLD, 12);
    bars.setDefaultItemLabelGenerator(new ResultLabels(results, true));
    bars.setDefaultItemLabelsVisible(true);
    bars.setDefaultItemLabelFont(labelFont);
    bars.setDefaultPositiveItemLabelPosition(rightOf);
    bars.setItemLabelInsets(new RectangleInsets(8, 8, 8, 8));

    CategoryPlot plot = new CategoryPlot(ratios, categories, values, bars);
    plot.setOrientation(PlotOrientation.HORIZONTAL);
    plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(new Color(0xd0, 0xd0, 0xd0));
    plot.setInsets(new RectangleInsets(8, 8, 8, 24));

    // The targets: a second dataset drawn as shapes only, a tall thin bar across each ratio's bar (in a horizontal
    // plot the shape is not rotated, so taller than wide reads as a tick across the bar).
    LineAndShapeRenderer ticks = new LineAndShapeRenderer(false, true);
    ticks.setSeriesShape(0, new Rectangle2D.Double(-2, -19, 4, 38));
    ticks.setSeriesPaint(0, Color.BLACK);
    ticks.setDefaultItemLabelGenerator(new ResultLabels(results, false));
    ticks.setDefaultItemLabelsVisible(true);
    ticks.setDefaultItemLabelFont(labelFont);
    ticks.setDefaultPositiveItemLabelPosition(rightOf);
    ticks.setItemLabelInsets(new RectangleInsets(8, 8, 8, 8));
    plot.setDataset(1, targets);
    plot.setRenderer(1, ticks);
    plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);

    ValueMarker parity = new ValueMarker(1.0, Color.GRAY, new BasicStroke(1f, BasicStroke.CAP_BUTT,
        BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    parity.setLabel("1x: as fast as the peer / exactly at the bound");
    parity.setLabelFont(new Font(Font.SANS_SERIF, Font.ITALIC, 11));
    parity.setLabelBackgroundColor(new Color(255, 255, 255, 0));
    parity.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
    parity.setLabelTextAnchor(TextAnchor.TOP_LEFT);
    plot.addRangeMarker(parity);

    LegendItemCollection legend = new LegendItemCollection();
    legend.add(new LegendItem("met (ratio >= target)", MET));
    legend.add(new LegendItem("missed", MISSED));
    legend.add(new LegendItem("pale: figures copied from docs/benchmarks.md, not re-run",
        withAlpha(Color.GRAY, COPIED_ALPHA)));
    LegendItem target = new LegendItem("target", null, null, null, new Line2D.Double(0, -7, 0, 7),
        new BasicStroke(4f), Color.BLACK);
    legend.add(target);
    plot.setFixedLegendItems(legend);

    long met = results.stream().filter(Result::met).count();
    JFreeChart chart = new JFreeChart("Imagery against its peers and bounds (issue 8): " + met + " of "
        + results.size() + " targets met", new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, true);
    chart.addSubtitle(new TextTitle("Each bar is one bench/results/*.json, written by its bench/ script on a"
        + " 2-core shared machine; drawn by bench/chart.sh. Ratios of one run; the machine's load moves them.",
        new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    chart.setTextAntiAlias(true);

    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    ChartUtils.saveChartAsPNG(out.toFile(), chart, WIDTH, HEIGHT_FIXED + HEIGHT_PER_BAR * results.size());
  }

  private static Color withAlpha(Color c, int alpha) {
    return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
  }

  /** Bars coloured by their own result: met or missed, pale when the figures were copied. */
  private static final class ResultBars extends BarRenderer {
    private static final long serialVersionUID = 1L;
    private final transient List<Result> results;

    ResultBars(List<Result> results) {
      this.results = results;
    }

    @Override
    public Paint getItemPaint(int row, int column) {
      Result r = results.get(column);
      Color c = r.met() ? MET : MISSED;
      return r.source() != null ? withAlpha(c, COPIED_ALPHA) : c;
    }
  }

  /**
   * The label of a result, "2.71x, target 2x: met", drawn by the bar's renderer ({@code onBar}) when the bar ends
   * past its target, by the target's otherwise; the other one draws nothing.
   */
  private static final class ResultLabels extends StandardCategoryItemLabelGenerator {
    private static final long serialVersionUID = 1L;
    private final transient List<Result> results;
    private final boolean onBar;

    ResultLabels(List<Result> results, boolean onBar) {
      this.results = results;
      this.onBar = onBar;
    }

    @Override
    public String generateLabel(CategoryDataset dataset, int row, int column) {
      Result r = results.get(column);
      if (r.met() != onBar) {
        return null;
      }
      return String.format(Locale.ROOT, "%.2fx, target %sx: %s", r.ratio(), trim(r.target()),
          r.met() ? "met" : "missed");
    }

    private static String trim(double v) {
      return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }
  }
}
