// Offline validation of the Kubernetes manifests in a directory (default: this one). Run it through
// validate.sh, which installs the npm packages below into a cache directory and passes it as argv[2].
//
//   node validate.mjs CACHE_DIR [MANIFEST_DIR]
//
// Checks, per object:
//   1. YAML syntax and duplicate keys (npm `yaml`);
//   2. types, enum values, required fields, formats (npm `kubernetes-models` validate(), from the OpenAPI
//      schema; also the KEDA CRDs with `@kubernetes-models/keda`);
//   3. unknown fields, e.g. `periodSecondz` (walk over the attribute maps of npm `@kubernetes/client-node`'s
//      generated models; kubernetes-models ignores unknown fields, the API server would drop or reject them);
// and across objects: the kustomization's resources and images, Deployment selectors vs pod labels, Service,
// HPA, PDB, Ingress and ScaledObject targets, ServiceAccounts, ConfigMaps, volumes, probe ports.
// Prints one summary line last; exits 1 on any error.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [cacheDir, dirArg] = process.argv.slice(2);
if (!cacheDir) {
  console.error('usage: node validate.mjs CACHE_DIR [MANIFEST_DIR]');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(cacheDir), 'package.json'));
const YAML = require('yaml');
const k8sClient = require('@kubernetes/client-node');

const dir = path.resolve(dirArg ?? path.dirname(new URL(import.meta.url).pathname));
const errors = [];
const warnings = [];
const error = (where, msg) => errors.push(`${where}: ${msg}`);
const warn = (where, msg) => warnings.push(`${where}: ${msg}`);

// ------------------------------------------------------------------------------------------- files

// Paths as typed from the current directory when below it, else absolute.
function show(file) {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function readYaml(file) {
  const where = show(file);
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    error(where, `cannot read: ${e.message}`);
    return [];
  }
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const out = [];
  docs.forEach((doc, i) => {
    for (const e of doc.errors) error(`${where}#${i}`, `YAML: ${e.message.split('\n')[0]}`);
    for (const w of doc.warnings) warn(`${where}#${i}`, `YAML: ${w.message.split('\n')[0]}`);
    if (doc.errors.length === 0) {
      const value = doc.toJS();
      if (value !== null && value !== undefined) out.push({ value, where: `${where}#${i}` });
    }
  });
  return out;
}

const kustomizationFile = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
  .map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
if (!kustomizationFile) {
  console.error(`k8s: no kustomization.yaml in ${dir}`);
  process.exit(1);
}
const kustomization = readYaml(kustomizationFile)[0]?.value ?? {};
const kWhere = show(kustomizationFile);
const resources = Array.isArray(kustomization.resources) ? kustomization.resources : [];
if (resources.length === 0) error(kWhere, 'no resources');
for (const key of Object.keys(kustomization)) {
  const known = ['apiVersion', 'kind', 'namespace', 'labels', 'commonLabels', 'commonAnnotations', 'resources',
    'images', 'configMapGenerator', 'secretGenerator', 'generatorOptions', 'patches', 'namePrefix', 'nameSuffix',
    'replicas', 'components', 'buildMetadata', 'sortOptions', 'transformers', 'generators', 'validators',
    'crds', 'openapi', 'helmCharts', 'replacements', 'vars', 'patchesStrategicMerge', 'patchesJson6902'];
  if (!known.includes(key)) error(kWhere, `unknown kustomization field '${key}'${suggest(key, known)}`);
}

// Files in the kustomization, then the other manifests of the directory (optional ones, validated alike).
const inKustomization = new Set();
const files = [];
for (const r of resources) {
  const file = path.join(dir, r);
  if (!fs.existsSync(file)) {
    error(kWhere, `resource '${r}' does not exist`);
    continue;
  }
  if (fs.statSync(file).isDirectory()) {
    error(kWhere, `resource '${r}' is a directory: not supported by this validator`);
    continue;
  }
  inKustomization.add(path.resolve(file));
  files.push({ file, optional: false });
}
for (const f of fs.readdirSync(dir).sort()) {
  const file = path.resolve(dir, f);
  if (/\.ya?ml$/.test(f) && file !== path.resolve(kustomizationFile) && !inKustomization.has(file)) {
    files.push({ file, optional: true });
  }
}

// ------------------------------------------------------------------------------------------- per object

function moduleFor(apiVersion) {
  if (typeof apiVersion !== 'string') return null;
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

// client-node model class name: apps/v1 Deployment -> V1Deployment, autoscaling/v2 HPA -> V2HorizontalPodAutoscaler.
function clientModel(apiVersion, kind) {
  const version = String(apiVersion).split('/').pop();
  const name = version.charAt(0).toUpperCase() + version.slice(1) + kind;
  const cls = k8sClient[name];
  return cls && typeof cls.getAttributeTypeMap === 'function' ? name : null;
}

function editDistance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

function suggest(name, known) {
  let best = null;
  for (const k of known) {
    const dist = editDistance(name.toLowerCase(), k.toLowerCase());
    if (dist <= 3 && (!best || dist < best.dist)) best = { k, dist };
  }
  return best ? ` (did you mean '${best.k}'?)` : '';
}

// Unknown fields: every key must be an attribute of the model type, recursively.
function walk(value, type, at, where) {
  if (value === null || value === undefined) return;
  let m;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, m[1], `${at}[${i}]`, where));
    return; // a non-list is kubernetes-models' type error
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, m[1], `${at}.${k}`, where);
    }
    return;
  }
  const cls = k8sClient[type];
  if (!cls || typeof cls.getAttributeTypeMap !== 'function') return; // primitives, IntOrString, Date, any
  if (typeof value !== 'object' || Array.isArray(value)) return;
  const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attrs.has(k)) error(where, `${at}.${k}: unknown field of ${type}${suggest(k, [...attrs.keys()])}`);
    else walk(v, attrs.get(k), `${at}.${k}`, where);
  }
}

const objects = [];
for (const { file, optional } of files) {
  for (const { value: obj, where } of readYaml(file)) {
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      error(where, 'not a Kubernetes object (a mapping is expected)');
      continue;
    }
    const { apiVersion, kind } = obj;
    const name = obj.metadata?.name;
    if (!apiVersion || !kind || !name) {
      error(where, 'apiVersion, kind and metadata.name are required');
      continue;
    }
    const id = `${where} ${kind}/${name}`;
    objects.push({ obj, id, optional });

    // 2. schema: types, enums, required fields.
    let models;
    try {
      models = require(moduleFor(apiVersion));
    } catch {
      error(id, `unknown apiVersion '${apiVersion}'`);
      continue;
    }
    const Model = models[kind];
    if (typeof Model !== 'function') {
      error(id, `unknown kind '${kind}' in ${apiVersion}${suggest(kind, Object.keys(models))}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      const lines = String(e.message).split(/,\s*(?=data)|\n/).map((l) => l.trim()).filter(Boolean);
      for (const l of lines) error(id, `schema: ${l}`);
    }

    // 3. unknown fields (built-in kinds; CRDs get the schema check only).
    const model = clientModel(apiVersion, kind);
    if (model) walk(obj, model, '', id);
    else if (!apiVersion.startsWith('keda.sh/')) warn(id, 'no field list for this kind: unknown fields not checked');

    if (kustomization.namespace && obj.metadata.namespace && obj.metadata.namespace !== kustomization.namespace
      && kind !== 'Namespace') {
      error(id, `metadata.namespace '${obj.metadata.namespace}' differs from the kustomization's '${kustomization.namespace}'`);
    }
  }
}

// ------------------------------------------------------------------------------------------- cross checks

const deployed = objects.filter((o) => !o.optional);
const all = objects;
const byKind = (list, kind) => list.filter((o) => o.obj.kind === kind);
const find = (list, kind, name) => list.find((o) => o.obj.kind === kind && o.obj.metadata.name === name);
const matches = (selector, labels) => !!selector && Object.keys(selector).length > 0
  && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const workloads = byKind(all, 'Deployment');
for (const { obj, id, optional } of workloads) {
  const scope = optional ? all : deployed;
  const tmpl = obj.spec?.template ?? {};
  const pod = tmpl.spec ?? {};
  if (!matches(obj.spec?.selector?.matchLabels, tmpl.metadata?.labels)) {
    error(id, 'spec.selector.matchLabels do not match spec.template.metadata.labels');
  }
  const sa = pod.serviceAccountName;
  if (sa && !find(scope, 'ServiceAccount', sa)) error(id, `serviceAccountName '${sa}' is not defined`);
  const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const portNames = new Set((c.ports ?? []).map((p) => p.name).filter(Boolean));
    const portNumbers = new Set((c.ports ?? []).map((p) => p.containerPort));
    for (const ref of c.envFrom ?? []) {
      const cm = ref.configMapRef?.name;
      if (cm && !ref.configMapRef.optional && !find(scope, 'ConfigMap', cm)) error(id, `${c.name}: ConfigMap '${cm}' is not defined`);
    }
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      if (cm && !cm.optional) {
        const found = find(scope, 'ConfigMap', cm.name);
        if (!found) error(id, `${c.name}: env ${e.name}: ConfigMap '${cm.name}' is not defined`);
        else if (!(cm.key in (found.obj.data ?? {}))) error(id, `${c.name}: env ${e.name}: key '${cm.key}' not in ConfigMap '${cm.name}'`);
      }
    }
    for (const vm of c.volumeMounts ?? []) {
      if (!volumes.has(vm.name)) error(id, `${c.name}: volumeMount '${vm.name}' has no volume`);
    }
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
      if (typeof port === 'string' && !portNames.has(port)) error(id, `${c.name}: ${probe} port '${port}' is not a named container port`);
      if (typeof port === 'number' && !portNumbers.has(port)) warn(id, `${c.name}: ${probe} port ${port} is not a declared container port`);
    }
    // The kustomization's images: must name the images the containers use.
    const imageName = String(c.image ?? '').replace(/[:@].*$/, '');
    const images = Array.isArray(kustomization.images) ? kustomization.images : [];
    if (!optional && images.length > 0 && !images.some((i) => i.name === imageName)) {
      error(id, `${c.name}: image '${c.image}' has no entry in the kustomization's images:`);
    }
  }
}
for (const img of Array.isArray(kustomization.images) ? kustomization.images : []) {
  const used = workloads.some(({ obj }) => (obj.spec?.template?.spec?.containers ?? [])
    .some((c) => String(c.image ?? '').replace(/[:@].*$/, '') === img.name));
  if (!used) error(kWhere, `images: '${img.name}' is used by no container`);
}

const podsMatching = (scope, selector) => byKind(scope, 'Deployment')
  .filter(({ obj }) => matches(selector, obj.spec?.template?.metadata?.labels));

for (const { obj, id, optional } of byKind(all, 'Service')) {
  const targets = podsMatching(optional ? all : deployed, obj.spec?.selector);
  if (targets.length === 0) error(id, 'selector matches no Deployment\'s pods');
  for (const p of obj.spec?.ports ?? []) {
    if (typeof p.targetPort === 'string') {
      const ok = targets.some(({ obj: d }) => (d.spec.template.spec.containers ?? [])
        .some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort)));
      if (!ok) error(id, `targetPort '${p.targetPort}' is not a named port of the selected pods`);
    }
  }
}
for (const { obj, id, optional } of byKind(all, 'PodDisruptionBudget')) {
  if (podsMatching(optional ? all : deployed, obj.spec?.selector?.matchLabels).length === 0) {
    error(id, 'selector matches no Deployment\'s pods');
  }
}
for (const { obj, id, optional } of [...byKind(all, 'HorizontalPodAutoscaler'), ...byKind(all, 'ScaledObject')]) {
  const ref = obj.spec?.scaleTargetRef ?? {};
  if (!find(optional ? all : deployed, ref.kind ?? 'Deployment', ref.name)) {
    error(id, `scaleTargetRef ${ref.kind ?? 'Deployment'}/${ref.name} is not defined`);
  }
  for (const t of obj.spec?.triggers ?? []) {
    const auth = t.authenticationRef?.name;
    if (auth && !find(all, 'TriggerAuthentication', auth)) error(id, `authenticationRef '${auth}' is not defined`);
  }
}
for (const { obj, id, optional } of byKind(all, 'Ingress')) {
  const backends = [obj.spec?.defaultBackend, ...(obj.spec?.rules ?? [])
    .flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))].filter(Boolean);
  for (const b of backends) {
    if (!b.service) continue;
    const svc = find(optional ? all : deployed, 'Service', b.service.name);
    if (!svc) {
      error(id, `backend Service '${b.service.name}' is not defined`);
      continue;
    }
    const ports = svc.obj.spec?.ports ?? [];
    const port = b.service.port ?? {};
    if (port.name && !ports.some((p) => p.name === port.name)) error(id, `backend port '${port.name}' is not a port of Service '${b.service.name}'`);
    if (port.number && !ports.some((p) => p.port === port.number)) error(id, `backend port ${port.number} is not a port of Service '${b.service.name}'`);
  }
}
const names = new Map();
for (const { obj, id } of all) {
  const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  if (names.has(key)) error(id, `duplicate of ${names.get(key)}`);
  else names.set(key, id);
}

// ------------------------------------------------------------------------------------------- report

for (const w of warnings) console.log(`warning: ${w}`);
for (const e of errors) console.log(`error: ${e}`);
const optionalCount = objects.filter((o) => o.optional).length;
const count = objects.length - optionalCount;
const optionalNote = optionalCount ? ` + ${optionalCount} optional outside the kustomization` : '';
if (errors.length) {
  console.log(`k8s: INVALID: ${errors.length} error(s) in ${count} manifests${optionalNote} (${show(dir) || '.'})`);
  process.exit(1);
}
console.log(`k8s: ${count} manifests valid${optionalNote} (${files.length} files; schema, unknown fields, references)`);
