// Typed readers of the scripts' environment variables (k6 run -e NAME=value, or the shell's environment).
// A bad value stops the test at once with the variable's name, like the services' own configuration.

/** @param {string} name @param {string} fallback @returns {string} */
export function text(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

/** A positive number (fractions allowed: RATE=0.5 is one flow every two seconds).
 *  @param {string} name @param {number} fallback @returns {number} */
export function positive(name, fallback) {
  const raw = text(name, String(fallback));
  const value = Number(raw);
  if (!isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got '${raw}'`);
  }
  return value;
}

/** A positive whole number. @param {string} name @param {number} fallback @returns {number} */
export function count(name, fallback) {
  const value = positive(name, fallback);
  if (Math.floor(value) !== value) {
    throw new Error(`${name} must be a whole number, got '${value}'`);
  }
  return value;
}

const UNITS_MS = { h: 3600000, m: 60000, s: 1000, ms: 1 };

/** A k6 duration ("90s", "5m", "1h30m"), kept as text for k6 and as milliseconds for our own arithmetic.
 *  @param {string} name @param {string} fallback @returns {{text: string, ms: number}} */
export function duration(name, fallback) {
  const raw = text(name, fallback).trim();
  const parts = raw.match(/(\d+(?:\.\d+)?)(ms|h|m|s)/g);
  if (parts === null || parts.join('') !== raw) {
    throw new Error(`${name} must be a duration such as 90s, 5m or 1h30m, got '${raw}'`);
  }
  let ms = 0;
  for (const part of parts) {
    const [, amount, unit] = /** @type {RegExpMatchArray} */ (part.match(/^(\d+(?:\.\d+)?)(ms|h|m|s)$/));
    ms += Number(amount) * UNITS_MS[/** @type {keyof UNITS_MS} */ (unit)];
  }
  if (ms <= 0) {
    throw new Error(`${name} must be longer than zero, got '${raw}'`);
  }
  return { text: raw, ms };
}

/** k6's arrival rates are whole iterations per time unit: flows per second become flows per minute, so that a
 *  rate such as 0.5/s (30/min) is exact. @param {number} perSecond @returns {number} */
export function perMinute(perSecond) {
  return Math.max(1, Math.round(perSecond * 60));
}
