// The sharp side of bench/pipeline.sh: the same work as Imagery's pipeline, done the fastest way sharp offers.
//   decode (EXIF auto-orient) + sepia matrix, streamed by libvips into one raw raster
//   -> encode that raster (JPEG q85, or PNG at SHARP_PNG_LEVEL, default 6 = sharp's default)
//   -> a 256 px JPEG q85 thumbnail of that same sepia raster (fit inside 256x256, sharp's default kernel)
// One request per stdin line, so the script can alternate it with the JVM while both stay warm:
//   run FILE POLICY   -> ok WALL_US CPU_US DECODE_FILTER_MS 0 ENCODE_MS THUMB_MS RESULT_BYTES THUMB_BYTES
// CPU is the whole process's (every libvips and libuv thread). libvips runs one thread: sharp.concurrency(1).
// Usage (the script does this): BENCH_SHARP_DIR=<dir with node_modules/sharp> node bench/sharp-pipeline.mjs
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const require = createRequire(`${process.env.BENCH_SHARP_DIR}/`);
const sharp = require('sharp');
sharp.concurrency(1);
sharp.cache(false); // no operation cache: every run decodes again, as the worker does
const pngLevel = Number(process.env.SHARP_PNG_LEVEL ?? 6);
const SEPIA = [
  [0.393, 0.769, 0.189],
  [0.349, 0.686, 0.168],
  [0.272, 0.534, 0.131],
];
const files = new Map();
const ms = (ns) => Math.round(Number(ns) / 1e6);

async function run(file, policy) {
  if (!files.has(file)) files.set(file, readFileSync(file));
  const input = files.get(file);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { data, info } = await sharp(input).rotate().recomb(SEPIA).raw().toBuffer({ resolveWithObject: true });
  const t1 = process.hrtime.bigint();
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const png = policy === 'png' || (policy === 'auto' && !/\.jpe?g$/i.test(file));
  const result = png
    ? await sharp(data, raw).png({ compressionLevel: pngLevel }).toBuffer()
    : await sharp(data, raw).jpeg({ quality: 85 }).toBuffer();
  const t2 = process.hrtime.bigint();
  const thumb = await sharp(data, raw).resize(256, 256, { fit: 'inside' }).jpeg({ quality: 85 }).toBuffer();
  const t3 = process.hrtime.bigint();
  const cpu = process.cpuUsage(c0);
  return `ok ${(t3 - t0) / 1000n} ${cpu.user + cpu.system} ${ms(t1 - t0)} 0 ${ms(t2 - t1)} ${ms(t3 - t2)} `
    + `${result.length} ${thumb.length}`;
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [cmd, file, policy] = line.trim().split(/\s+/);
  if (cmd === 'quit') break;
  try {
    console.log(cmd === 'run' ? await run(file, policy) : `error unknown command: ${line}`);
  } catch (e) {
    console.log(`error ${String(e).replace(/\s+/g, ' ')}`);
  }
}
