// Offline validation of the Kubernetes manifests: renders each overlay with `kubectl kustomize` and checks the
// rendered objects. Run it through validate.sh, which installs the npm packages below into a cache directory.
//
//   node validate.mjs CACHE_DIR K8S_DIR KUBECTL [--self-check] [OVERLAY_DIR...]
//
// Default: every directory of K8S_DIR/overlays. Checks:
//   source files: YAML syntax and duplicate keys of every file under base/ and overlays/ (npm `yaml`); the
//     kustomization fields; every YAML file is used by its kustomization (resources or patches);
//   every rendered object:
//     1. types, enum values, required fields (npm `kubernetes-models` validate(), from the OpenAPI schema; the
//        KEDA ScaledObject and TriggerAuthentication with `@kubernetes-models/keda`);
//     2. unknown fields, e.g. `periodSecondz` (the attribute maps of npm `@kubernetes/client-node`'s models;
//        for the KEDA CRDs the field tree of @kubernetes-models/keda's type declarations);
//     3. references: Deployment selectors vs pod labels, Services, HPA/PDB/ScaledObject targets, Ingress
//        backends and ALB actions, NetworkPolicy selectors and named ports, ServiceAccounts, ConfigMaps,
//        volumes, probe ports, the overlays' `images:`; one autoscaler per Deployment; (a warning) variables
//        given to the services that the project README does not name;
//   per overlay (by its directory name): the assertions of `aws` and `local` below, and for every overlay the
//     worker's liveness probe, the NetworkPolicies, and the hardened security context of every container.
// --self-check: renders broken copies of the overlays (MUTATIONS below) and fails unless each is rejected with
// the expected error. Prints one summary line last; exits 1 on any error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const [cacheDir, k8sDirArg, kubectl] = args;
if (!cacheDir || !k8sDirArg || !kubectl) {
  console.error('usage: node validate.mjs CACHE_DIR K8S_DIR KUBECTL [--self-check] [OVERLAY_DIR...]');
  process.exit(2);
}
const selfCheck = args.includes('--self-check');
const overlayArgs = args.slice(3).filter((a) => a !== '--self-check');
const require = createRequire(path.join(path.resolve(cacheDir), 'package.json'));
const YAML = require('yaml');
const k8sClient = require('@kubernetes/client-node');
const k8sDir = path.resolve(k8sDirArg);
const repoDir = path.dirname(k8sDir);

// Paths as typed from the current directory when below it, else absolute.
function show(file) {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
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

// A run collects errors and warnings under a label (an overlay name, or `source`).
function newReport() {
  const errors = [];
  const warnings = [];
  return { errors, warnings, error: (where, msg) => errors.push(`${where}: ${msg}`), warn: (where, msg) => warnings.push(`${where}: ${msg}`) };
}

function parseYamlText(text, where, report) {
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const out = [];
  docs.forEach((doc, i) => {
    for (const e of doc.errors) report.error(`${where}#${i}`, `YAML: ${e.message.split('\n')[0]}`);
    for (const w of doc.warnings) report.warn(`${where}#${i}`, `YAML: ${w.message.split('\n')[0]}`);
    if (doc.errors.length === 0) {
      const value = doc.toJS();
      if (value !== null && value !== undefined) out.push(value);
    }
  });
  return out;
}

// ------------------------------------------------------------------------------------------- source files

const KUSTOMIZATION_FIELDS = ['apiVersion', 'kind', 'namespace', 'labels', 'commonLabels', 'commonAnnotations',
  'resources', 'images', 'configMapGenerator', 'secretGenerator', 'generatorOptions', 'patches', 'namePrefix',
  'nameSuffix', 'replicas', 'components', 'buildMetadata', 'sortOptions', 'transformers', 'generators',
  'validators', 'crds', 'openapi', 'helmCharts', 'replacements', 'vars', 'patchesStrategicMerge',
  'patchesJson6902'];

const yamlFilesOf = (dir) => fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();

// Checks one kustomization directory's files; returns the parsed kustomization (or null).
function checkSourceDir(dir, report) {
  const kFile = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((f) => path.join(dir, f))
    .find((f) => fs.existsSync(f));
  if (!kFile) {
    report.error(show(dir), 'no kustomization.yaml');
    return null;
  }
  const parsed = {};
  for (const f of yamlFilesOf(dir)) {
    const file = path.join(dir, f);
    parsed[f] = parseYamlText(fs.readFileSync(file, 'utf8'), show(file), report);
  }
  const k = parsed[path.basename(kFile)]?.[0] ?? {};
  const kWhere = show(kFile);
  for (const key of Object.keys(k)) {
    if (!KUSTOMIZATION_FIELDS.includes(key)) report.error(kWhere, `unknown kustomization field '${key}'${suggest(key, KUSTOMIZATION_FIELDS)}`);
  }
  const used = new Set([path.basename(kFile)]);
  for (const r of k.resources ?? []) {
    const target = path.join(dir, r);
    if (!fs.existsSync(target)) report.error(kWhere, `resource '${r}' does not exist`);
    else if (!fs.statSync(target).isDirectory()) used.add(path.relative(dir, target));
  }
  for (const p of k.patches ?? []) {
    if (p.path) {
      if (!fs.existsSync(path.join(dir, p.path))) report.error(kWhere, `patch '${p.path}' does not exist`);
      used.add(path.normalize(p.path));
    }
  }
  for (const f of yamlFilesOf(dir)) {
    if (!used.has(f)) report.error(show(path.join(dir, f)), `not used by ${kWhere} (neither a resource nor a patch): it would never be deployed`);
  }
  return k;
}

// ------------------------------------------------------------------------------------------- schemas

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

// Unknown fields: every key must be an attribute of the model type, recursively.
function walk(value, type, at, where, report) {
  if (value === null || value === undefined) return;
  let m;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, m[1], `${at}[${i}]`, where, report));
    return; // a non-list is kubernetes-models' type error
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, m[1], `${at}.${k}`, where, report);
    }
    return;
  }
  const cls = k8sClient[type];
  if (!cls || typeof cls.getAttributeTypeMap !== 'function') return; // primitives, IntOrString, Date, any
  if (typeof value !== 'object' || Array.isArray(value)) return;
  const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attrs.has(k)) report.error(where, `${at}.${k}: unknown field of ${type}${suggest(k, [...attrs.keys()])}`);
    else walk(v, attrs.get(k), `${at}.${k}`, where, report);
  }
}

// KEDA CRDs: the field tree of the interface in @kubernetes-models/keda's .d.ts (generated from KEDA's CRDs).
// Node: 'leaf' | { fields: Map<name, node>, map?: node }.
function dtsTree(file, iface) {
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const start = text.indexOf(`export interface ${iface} {`);
  if (start < 0) throw new Error(`${iface} not in ${file}`);
  const root = { fields: new Map() };
  const stack = [root];
  for (const raw of text.slice(start).split('\n').slice(1)) {
    const line = raw.trim();
    if (!line) continue;
    const top = stack[stack.length - 1];
    let m;
    if ((m = /^"([^"]+)"\??: (.*)$/.exec(line))) {
      if (m[2] === '{' || m[2] === 'Array<{') {
        const node = { fields: new Map() };
        top.fields.set(m[1], node);
        stack.push(node);
      } else {
        top.fields.set(m[1], 'leaf');
      }
    } else if (/^\[key: string\]: \{$/.test(line)) {
      top.map = { fields: new Map() };
      stack.push(top.map);
    } else if (/^\[key: string\]: /.test(line)) {
      top.map = 'leaf';
    } else if (/^\}>?;?$/.test(line)) {
      stack.pop();
      if (stack.length === 0) break;
    }
  }
  return root;
}

function walkTree(value, node, at, where, report) {
  if (node === 'leaf' || value === null || value === undefined || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => walkTree(v, node, `${at}[${i}]`, where, report));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (node.fields.has(k)) walkTree(v, node.fields.get(k), `${at}.${k}`, where, report);
    else if (node.map) walkTree(v, node.map, `${at}.${k}`, where, report);
    else report.error(where, `${at}.${k}: unknown field${suggest(k, [...node.fields.keys()])}`);
  }
}

const kedaDir = path.dirname(require.resolve('@kubernetes-models/keda/keda.sh/v1alpha1'));
const kedaTrees = {
  ScaledObject: dtsTree(path.join(kedaDir, 'ScaledObject.d.ts'), 'IScaledObject'),
  TriggerAuthentication: dtsTree(path.join(kedaDir, 'TriggerAuthentication.d.ts'), 'ITriggerAuthentication'),
};
// Newer than the KEDA release those models were generated from: podIdentity.identityOwner and .roleArn (KEDA
// 2.13+, https://keda.sh/docs/2.14/authentication-providers/aws/).
for (const f of ['identityOwner', 'roleArn']) kedaTrees.TriggerAuthentication.fields.get('spec').fields.get('podIdentity').fields.set(f, 'leaf');

// ------------------------------------------------------------------------------------------- one overlay

const APPS = ['imagery-api', 'imagery-worker'];
const imageBase = (image) => String(image ?? '').replace(/@.*$/, '').replace(/:[^:/]*$/, '').split('/').pop();
const imageTag = (image) => {
  const s = String(image ?? '');
  if (s.includes('@')) return { digest: s.split('@')[1] };
  const m = /:([^:/]+)$/.exec(s);
  return { tag: m ? m[1] : null };
};
const containersOf = (pod) => [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
const matches = (selector, labels) => !!selector && Object.keys(selector).length > 0
  && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const selects = (labelSelector, labels) => {
  if (!labelSelector) return false;
  const ml = labelSelector.matchLabels ?? {};
  const ok = Object.entries(ml).every(([k, v]) => labels?.[k] === v);
  const ex = (labelSelector.matchExpressions ?? []).every((e) => {
    const has = labels && e.key in labels;
    if (e.operator === 'In') return has && e.values.includes(labels[e.key]);
    if (e.operator === 'NotIn') return !has || !e.values.includes(labels[e.key]);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    return false;
  });
  return ok && ex;
};
const envOf = (c, name) => (c.env ?? []).find((e) => e.name === name)?.value;

// The API's own connection idle timeout (ApiVerticle: setIdleTimeout(N) in seconds), for the ALB's.
function apiIdleTimeoutSeconds() {
  try {
    const src = fs.readFileSync(path.join(repoDir, 'api-verticle/src/main/java/dev/imagery/api/ApiVerticle.java'), 'utf8');
    const m = /setIdleTimeout\((\d+)\)\s*\.setIdleTimeoutUnit\(TimeUnit\.SECONDS\)/.exec(src);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// The variable names of the project README (backquoted, e.g. `IMAGERY_QUEUE`), or null without a README.
let readmeVars;
function readmeVariables() {
  if (readmeVars === undefined) {
    try {
      const md = fs.readFileSync(path.join(repoDir, 'README.md'), 'utf8');
      readmeVars = new Set([...md.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
    } catch {
      readmeVars = null;
    }
  }
  return readmeVars;
}

function validateRendered(name, text, report, kustomizations) {
  const objects = [];
  for (const obj of parseYamlText(text, name, report)) {
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      report.error(name, 'not a Kubernetes object (a mapping is expected)');
      continue;
    }
    const { apiVersion, kind } = obj;
    const objName = obj.metadata?.name;
    if (!apiVersion || !kind || !objName) {
      report.error(name, 'apiVersion, kind and metadata.name are required');
      continue;
    }
    const id = `${name}: ${kind}/${objName}`;
    objects.push({ obj, id });

    // 1. schema: types, enums, required fields.
    let models;
    try {
      models = require(moduleFor(apiVersion));
    } catch {
      report.error(id, `unknown apiVersion '${apiVersion}'`);
      continue;
    }
    const Model = models[kind];
    if (typeof Model !== 'function') {
      report.error(id, `unknown kind '${kind}' in ${apiVersion}${suggest(kind, Object.keys(models))}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      const lines = String(e.message).split(/,\s*(?=data)|\n/).map((l) => l.trim()).filter(Boolean);
      for (const l of lines) report.error(id, `schema: ${l}`);
    }

    // 2. unknown fields.
    const model = clientModel(apiVersion, kind);
    if (model) {
      walk(obj, model, '', id, report);
    } else if (kedaTrees[kind] && apiVersion.startsWith('keda.sh/')) {
      walkTree(obj, kedaTrees[kind], '', id, report);
      walk(obj.metadata, 'V1ObjectMeta', '.metadata', id, report);
    } else {
      report.warn(id, 'no field list for this kind: unknown fields not checked');
    }
  }

  const byKind = (kind) => objects.filter((o) => o.obj.kind === kind);
  const find = (kind, n) => objects.find((o) => o.obj.kind === kind && o.obj.metadata.name === n);
  const namespaces = byKind('Namespace').map((o) => o.obj.metadata.name);
  if (namespaces.length !== 1) report.error(name, `expected exactly one Namespace, found ${namespaces.length}`);
  for (const { obj, id } of objects) {
    if (obj.kind !== 'Namespace' && obj.metadata.namespace !== namespaces[0]) {
      report.error(id, `metadata.namespace is '${obj.metadata.namespace ?? ''}', not '${namespaces[0]}'`);
    }
  }
  const names = new Map();
  for (const { obj, id } of objects) {
    const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    if (names.has(key)) report.error(id, 'duplicate object');
    else names.set(key, id);
  }

  // ----------------------------------------------------------------------------------------- 3. references
  const workloads = byKind('Deployment');
  for (const { obj, id } of workloads) {
    const tmpl = obj.spec?.template ?? {};
    const pod = tmpl.spec ?? {};
    if (!matches(obj.spec?.selector?.matchLabels, tmpl.metadata?.labels)) {
      report.error(id, 'spec.selector.matchLabels do not match spec.template.metadata.labels');
    }
    const sa = pod.serviceAccountName;
    if (sa && !find('ServiceAccount', sa)) report.error(id, `serviceAccountName '${sa}' is not defined`);
    const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
    const containerNames = new Set();
    const ports = new Map();
    for (const c of containersOf(pod)) {
      if (containerNames.has(c.name)) report.error(id, `two containers named '${c.name}'`);
      containerNames.add(c.name);
      for (const p of c.ports ?? []) {
        const key = `${p.containerPort}/${p.protocol ?? 'TCP'}`;
        if (ports.has(key)) report.error(id, `${c.name}: port ${key} also declared by ${ports.get(key)} (one network namespace per pod)`);
        ports.set(key, c.name);
      }
    }
    for (const c of containersOf(pod)) {
      const portNames = new Set((c.ports ?? []).map((p) => p.name).filter(Boolean));
      const portNumbers = new Set((c.ports ?? []).map((p) => p.containerPort));
      for (const ref of c.envFrom ?? []) {
        const cm = ref.configMapRef?.name;
        if (cm && !ref.configMapRef.optional && !find('ConfigMap', cm)) report.error(id, `${c.name}: ConfigMap '${cm}' is not defined`);
      }
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        if (cm && !cm.optional) {
          const found = find('ConfigMap', cm.name);
          if (!found) report.error(id, `${c.name}: env ${e.name}: ConfigMap '${cm.name}' is not defined`);
          else if (!(cm.key in (found.obj.data ?? {}))) report.error(id, `${c.name}: env ${e.name}: key '${cm.key}' not in ConfigMap '${cm.name}'`);
        }
      }
      for (const vm of c.volumeMounts ?? []) {
        if (!volumes.has(vm.name)) report.error(id, `${c.name}: volumeMount '${vm.name}' has no volume`);
      }
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const p = c[probe];
        if (!p) continue;
        const port = p.httpGet?.port ?? p.tcpSocket?.port ?? p.grpc?.port;
        if (typeof port === 'string' && !portNames.has(port)) report.error(id, `${c.name}: ${probe} port '${port}' is not a named port of this container`);
        if (typeof port === 'number' && !portNumbers.has(port)) report.warn(id, `${c.name}: ${probe} port ${port} is not a declared port of this container`);
        if (p.exec && !(p.exec.command ?? []).length) report.error(id, `${c.name}: ${probe} exec has no command`);
      }
      if (!c.image) report.error(id, `${c.name}: no image`);
    }
    for (const c of pod.initContainers ?? []) {
      if (c.restartPolicy !== 'Always' && (c.startupProbe || c.livenessProbe || c.readinessProbe)) {
        report.error(id, `${c.name}: probes on an initContainer need restartPolicy: Always (a native sidecar)`);
      }
    }
  }
  // Every overlay's `images:` entry must have changed some container's image.
  const allImages = workloads.flatMap(({ obj }) => containersOf(obj.spec?.template?.spec).map((c) => String(c.image)));
  for (const img of kustomizations[name]?.images ?? []) {
    const repo = img.newName ?? img.name;
    const want = img.digest ? `${repo}@${img.digest}` : img.newTag ? `${repo}:${img.newTag}` : repo;
    if (!allImages.includes(want)) report.error(`${name}: kustomization`, `images: '${img.name}' (-> ${want}) is used by no container`);
  }

  const podsMatching = (selector) => workloads.filter(({ obj }) => matches(selector, obj.spec?.template?.metadata?.labels));
  for (const { obj, id } of byKind('Service')) {
    const targets = podsMatching(obj.spec?.selector);
    if (targets.length === 0) report.error(id, 'selector matches no Deployment\'s pods');
    for (const p of obj.spec?.ports ?? []) {
      if (typeof p.targetPort === 'string') {
        const ok = targets.some(({ obj: d }) => (d.spec.template.spec.containers ?? [])
          .some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort)));
        if (!ok) report.error(id, `targetPort '${p.targetPort}' is not a named port of the selected pods`);
      }
    }
  }
  for (const { obj, id } of byKind('PodDisruptionBudget')) {
    if (podsMatching(obj.spec?.selector?.matchLabels).length === 0) report.error(id, 'selector matches no Deployment\'s pods');
  }
  const scalers = new Map();
  for (const { obj, id } of [...byKind('HorizontalPodAutoscaler'), ...byKind('ScaledObject')]) {
    const ref = obj.spec?.scaleTargetRef ?? {};
    const target = find(ref.kind ?? 'Deployment', ref.name);
    if (!target) {
      report.error(id, `scaleTargetRef ${ref.kind ?? 'Deployment'}/${ref.name} is not defined`);
      continue;
    }
    const key = `${ref.kind ?? 'Deployment'}/${ref.name}`;
    if (scalers.has(key)) report.error(id, `${key} is also scaled by ${scalers.get(key)}: two autoscalers fight over its replicas`);
    else scalers.set(key, `${obj.kind}/${obj.metadata.name}`);
    const min = obj.kind === 'ScaledObject' ? (obj.spec.minReplicaCount ?? 0) : (obj.spec.minReplicas ?? 1);
    const max = obj.kind === 'ScaledObject' ? (obj.spec.maxReplicaCount ?? 100) : obj.spec.maxReplicas;
    if (max < min) report.error(id, `max replicas ${max} < min ${min}`);
    const replicas = target.obj.spec?.replicas;
    if (replicas !== undefined && replicas !== min) {
      report.error(target.id, `replicas ${replicas} differs from ${obj.kind}/${obj.metadata.name}'s minimum ${min}: re-applying would fight the autoscaler`);
    }
    for (const t of obj.spec?.triggers ?? []) {
      const auth = t.authenticationRef;
      if (auth?.name && (auth.kind ?? 'TriggerAuthentication') === 'TriggerAuthentication' && !find('TriggerAuthentication', auth.name)) {
        report.error(id, `authenticationRef '${auth.name}' is not defined`);
      }
    }
  }
  for (const { obj, id } of byKind('TriggerAuthentication')) {
    const pi = obj.spec?.podIdentity;
    if (pi?.identityOwner && !['keda', 'workload'].includes(pi.identityOwner)) report.error(id, `podIdentity.identityOwner '${pi.identityOwner}' is not keda or workload`);
    if (pi?.identityOwner && pi?.roleArn) report.error(id, 'podIdentity.roleArn and identityOwner are mutually exclusive');
  }

  // Ingress backends; ALB actions (`use-annotation`) need their annotation.
  const albAction = (ing, backendName) => {
    const raw = ing.metadata.annotations?.[`alb.ingress.kubernetes.io/actions.${backendName}`];
    if (raw === undefined) return { error: `no annotation alb.ingress.kubernetes.io/actions.${backendName}` };
    let a;
    try {
      a = JSON.parse(raw);
    } catch (e) {
      return { error: `alb.ingress.kubernetes.io/actions.${backendName} is not JSON: ${e.message}` };
    }
    const get = (o, k) => o?.[Object.keys(o ?? {}).find((x) => x.toLowerCase() === k.toLowerCase())];
    const type = String(get(a, 'type') ?? '').toLowerCase();
    if (!['fixed-response', 'redirect', 'forward'].includes(type)) return { error: `action ${backendName}: type '${type}' is not fixed-response, redirect or forward` };
    if (type === 'fixed-response') {
      const status = String(get(get(a, 'fixedResponseConfig'), 'statusCode') ?? '');
      if (!/^[2-5]\d\d$/.test(status)) return { error: `action ${backendName}: fixed-response without a valid StatusCode` };
      return { type, status };
    }
    return { type };
  };
  for (const { obj, id } of byKind('Ingress')) {
    const backends = [obj.spec?.defaultBackend, ...(obj.spec?.rules ?? [])
      .flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))].filter(Boolean);
    for (const b of backends) {
      if (!b.service) continue;
      const port = b.service.port ?? {};
      if (port.name === 'use-annotation') {
        const a = albAction(obj, b.service.name);
        if (a.error) report.error(id, a.error);
        continue;
      }
      const svc = find('Service', b.service.name);
      if (!svc) {
        report.error(id, `backend Service '${b.service.name}' is not defined`);
        continue;
      }
      const ports = svc.obj.spec?.ports ?? [];
      if (port.name && !ports.some((p) => p.name === port.name)) report.error(id, `backend port '${port.name}' is not a port of Service '${b.service.name}'`);
      if (port.number && !ports.some((p) => p.port === port.number)) report.error(id, `backend port ${port.number} is not a port of Service '${b.service.name}'`);
    }
  }

  // NetworkPolicies: selectors select pods; named and numbered ports exist on the selected pods.
  const policies = byKind('NetworkPolicy');
  const podLabels = workloads.map(({ obj, id }) => ({ id, obj, labels: obj.spec?.template?.metadata?.labels ?? {} }));
  const policiesFor = (labels) => policies.filter(({ obj }) => selects(obj.spec?.podSelector ?? {}, labels)
    || Object.keys(obj.spec?.podSelector ?? {}).length === 0);
  for (const { obj, id } of policies) {
    const sel = obj.spec?.podSelector ?? {};
    const selected = podLabels.filter((p) => Object.keys(sel).length === 0 || selects(sel, p.labels));
    if (selected.length === 0) report.error(id, 'podSelector selects no Deployment\'s pods');
    for (const [i, rule] of (obj.spec?.ingress ?? []).entries()) {
      for (const p of rule.ports ?? []) {
        const has = selected.some(({ obj: d }) => containersOf(d.spec.template.spec).some((c) => (c.ports ?? [])
          .some((cp) => (typeof p.port === 'string' ? cp.name === p.port : cp.containerPort === p.port)
            && (cp.protocol ?? 'TCP') === (p.protocol ?? 'TCP'))));
        if (p.port !== undefined && !has) report.error(id, `ingress[${i}]: port ${p.port} is not a container port of the selected pods`);
      }
    }
  }
  // The ingress ports each Deployment's pods admit (numbers; named ports resolved), and from whom.
  const admitted = (d) => {
    const pod = d.spec.template.spec;
    const out = [];
    for (const { obj } of policiesFor(d.spec.template.metadata?.labels ?? {})) {
      if (!(obj.spec.policyTypes ?? ['Ingress']).includes('Ingress')) continue;
      for (const rule of obj.spec.ingress ?? []) {
        const ps = rule.ports?.length ? rule.ports : [{ port: 'ALL' }];
        for (const p of ps) {
          let n = p.port;
          if (typeof n === 'string' && n !== 'ALL') n = containersOf(pod).flatMap((c) => c.ports ?? []).find((cp) => cp.name === n)?.containerPort ?? n;
          out.push({ port: n, from: rule.from ?? null, policy: obj.metadata.name });
        }
      }
    }
    return out;
  };
  const egressAllows = (d, port, protocol) => policiesFor(d.spec.template.metadata?.labels ?? {})
    .filter(({ obj }) => (obj.spec.policyTypes ?? []).includes('Egress'))
    .some(({ obj }) => (obj.spec.egress ?? []).some((r) => !r.ports?.length
      || r.ports.some((p) => p.port === port && (p.protocol ?? 'TCP') === protocol)));

  // ----------------------------------------------------------------------------------------- every overlay
  const configMap = find('ConfigMap', 'imagery-config')?.obj.data ?? {};
  if (!find('ConfigMap', 'imagery-config')) report.error(name, 'no ConfigMap imagery-config');
  const podHas = (d, base) => containersOf(d.spec.template.spec).some((c) => imageBase(c.image) === base);
  const workerPods = workloads.filter(({ obj }) => (obj.spec.template.spec.containers ?? []).some((c) => c.name === 'worker'));
  if (workerPods.length !== 1) report.error(name, `expected one Deployment with a container named worker, found ${workerPods.length}`);
  for (const { obj: d, id } of workerPods) {
    const pod = d.spec.template.spec;
    const w = pod.containers.find((c) => c.name === 'worker');
    const mgmt = (w.ports ?? []).find((p) => p.name === 'management');
    if (!mgmt || mgmt.containerPort !== 8081) report.error(id, 'worker: no container port named management = 8081');
    for (const probe of ['livenessProbe', 'startupProbe']) {
      const g = w[probe]?.httpGet;
      if (!g || g.path !== '/health/live' || !(g.port === 'management' || g.port === 8081)) {
        report.error(id, `worker: ${probe} is not GET /health/live on port management (8081)`);
      }
    }
    const mp = envOf(w, 'IMAGERY_MANAGEMENT_PORT');
    if (mp !== undefined && mp !== String(mgmt?.containerPort)) report.error(id, `worker: IMAGERY_MANAGEMENT_PORT ${mp} is not the management port ${mgmt?.containerPort}`);
    const host = envOf(w, 'IMAGERY_HOST') ?? configMap.IMAGERY_HOST;
    if (host !== undefined && host !== '0.0.0.0') report.error(id, `worker: IMAGERY_HOST ${host}: the kubelet probes the pod IP, bind 0.0.0.0`);
    if (pod.terminationGracePeriodSeconds !== 90) report.error(id, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds}, expected 90 (the worker drains in-flight jobs)`);
    if (envOf(w, 'IMAGERY_SHUTDOWN_TIMEOUT_SECONDS') !== '80') report.error(id, 'worker: IMAGERY_SHUTDOWN_TIMEOUT_SECONDS is not 80 (under the 90 s grace period)');
  }
  for (const { obj: d, id } of workloads) {
    const pod = d.spec.template.spec;
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) report.error(id, 'host namespaces are not allowed');
    if ((pod.securityContext?.seccompProfile?.type) !== 'RuntimeDefault') report.error(id, 'pod securityContext.seccompProfile is not RuntimeDefault');
    for (const c of containersOf(pod)) {
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true) report.error(id, `${c.name}: securityContext.readOnlyRootFilesystem is not true`);
      if ((sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) report.error(id, `${c.name}: runAsNonRoot is not true`);
      if ((sc.runAsUser ?? pod.securityContext?.runAsUser) === 0) report.error(id, `${c.name}: runAsUser 0`);
      if (sc.allowPrivilegeEscalation !== false) report.error(id, `${c.name}: allowPrivilegeEscalation is not false`);
      if (sc.privileged) report.error(id, `${c.name}: privileged`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) report.error(id, `${c.name}: capabilities.drop does not include ALL`);
    }
    // NetworkPolicies: default deny, then only the expected ports in; DNS and 443 out.
    const ps = policiesFor(d.spec.template.metadata?.labels ?? {}).map((p) => p.obj);
    const denyAll = ps.some((p) => Object.keys(p.spec.podSelector ?? {}).length === 0
      && (p.spec.policyTypes ?? []).includes('Ingress') && (p.spec.policyTypes ?? []).includes('Egress')
      && !(p.spec.ingress ?? []).length && !(p.spec.egress ?? []).length);
    if (!denyAll) report.error(id, 'no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules) covers these pods');
    const isApi = podHas(d, 'imagery-api');
    // The management port (/metrics for Prometheus; the API's admin routes) only from inside the cluster.
    const managementOf = (base) => containersOf(pod).find((c) => imageBase(c.image) === base)?.ports
      ?.find((p) => p.name === 'management')?.containerPort;
    const expected = isApi ? [8080, managementOf('imagery-api')] : podHas(d, 'imagery-worker') ? [8081] : null;
    const ins = admitted(d);
    if (expected) {
      const got = [...new Set(ins.map((i) => i.port))].sort((a, b) => String(a).localeCompare(String(b), 'en', { numeric: true }));
      if (JSON.stringify(got) !== JSON.stringify(expected)) report.error(id, `NetworkPolicies admit port(s) ${got.join(', ') || 'none'}, expected only ${expected.join(', ')}`);
      const open = ins.find((i) => i.from === null && i.port !== 8080);
      if (open) report.error(id, `NetworkPolicy ${open.policy} admits the management port ${open.port} from anywhere, expected the cluster only`);
    }
    // Prometheus's pod annotations name a management port of the pod and /metrics.
    const an = d.spec.template.metadata?.annotations ?? {};
    const managementPorts = containersOf(pod).flatMap((c) => c.ports ?? []).filter((p) => p.name === 'management')
      .map((p) => String(p.containerPort));
    if (an['prometheus.io/scrape'] !== 'true' || an['prometheus.io/path'] !== '/metrics'
      || !managementPorts.includes(an['prometheus.io/port'])) {
      report.error(id, `prometheus.io/ annotations (scrape ${an['prometheus.io/scrape']}, port ${an['prometheus.io/port']}, path ${an['prometheus.io/path']}) do not name /metrics on a management port (${managementPorts.join(', ') || 'none'})`);
    }
    for (const [port, proto] of [[53, 'UDP'], [53, 'TCP'], [443, 'TCP']]) {
      if (!egressAllows(d, port, proto)) report.error(id, `NetworkPolicies do not allow egress to ${port}/${proto}`);
    }
  }
  if (!policies.length) report.error(name, 'no NetworkPolicy');

  // ----------------------------------------------------------------------------------------- aws
  const saAnnotated = (sa) => find('ServiceAccount', sa)?.obj.metadata.annotations?.['eks.amazonaws.com/role-arn'];
  // Every overlay: what is deployed names an immutable version, never latest (the local one too).
  for (const { obj: d, id } of workloads) {
    for (const c of [...containersOf(d.spec.template.spec), ...(d.spec.template.spec.initContainers ?? [])]) {
      const t = imageTag(c.image);
      if (!t.digest && (!t.tag || t.tag === 'latest')) report.error(id, `${c.name}: image '${c.image}' is not pinned (a tag other than latest, or a digest)`);
    }
  }
  if (name === 'aws') {
    for (const sa of APPS) {
      const arn = saAnnotated(sa);
      if (!arn) report.error(`${name}: ServiceAccount/${sa}`, 'no IRSA annotation eks.amazonaws.com/role-arn');
      else if (!/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(arn)) report.error(`${name}: ServiceAccount/${sa}`, `role ARN '${arn}' is malformed`);
    }
    for (const { obj: d, id } of workloads) {
      for (const c of containersOf(d.spec.template.spec)) {
        if (!String(c.image).includes('/')) report.error(id, `${c.name}: image '${c.image}' names no registry`);
      }
      for (const c of containersOf(d.spec.template.spec)) {
        for (const e of c.env ?? []) {
          if (/^IMAGERY_.*_ENDPOINT$|^AWS_ACCESS_KEY_ID$|^AWS_SECRET_ACCESS_KEY$/.test(e.name)) report.error(id, `${c.name}: env ${e.name} must not be set on AWS`);
        }
      }
    }
    for (const k of Object.keys(configMap)) {
      if (/^IMAGERY_.*_ENDPOINT$|^AWS_ACCESS_KEY_ID$|^AWS_SECRET_ACCESS_KEY$/.test(k)) report.error(`${name}: ConfigMap/imagery-config`, `${k} must not be set on AWS`);
    }
    if (configMap.IMAGERY_CREATE_RESOURCES !== 'false') report.error(`${name}: ConfigMap/imagery-config`, 'IMAGERY_CREATE_RESOURCES is not "false"');
    if (!find('HorizontalPodAutoscaler', 'imagery-api')) report.error(name, 'no HorizontalPodAutoscaler for imagery-api');

    // The Ingress: ALB, target-type ip, HTTPS, and a simulation of the controller's rule order.
    const ings = byKind('Ingress');
    if (ings.length !== 1) report.error(name, `expected one Ingress, found ${ings.length}`);
    for (const { obj: ing, id } of ings) {
      const an = ing.metadata.annotations ?? {};
      const want = {
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/healthcheck-path': '/health/ready',
        'alb.ingress.kubernetes.io/ssl-redirect': '443',
      };
      if (ing.spec.ingressClassName !== 'alb') report.error(id, 'ingressClassName is not alb');
      for (const [k, v] of Object.entries(want)) if (an[k] !== v) report.error(id, `annotation ${k} is '${an[k] ?? ''}', expected '${v}'`);
      if (!/^arn:aws[\w-]*:acm:[\w-]+:\d{12}:certificate\/\S+$/.test(an['alb.ingress.kubernetes.io/certificate-arn'] ?? '')) report.error(id, 'no valid certificate-arn annotation (HTTPS)');
      let listen = [];
      try {
        listen = JSON.parse(an['alb.ingress.kubernetes.io/listen-ports'] ?? '[]');
      } catch (e) {
        report.error(id, `listen-ports is not JSON: ${e.message}`);
      }
      if (!listen.some((l) => l.HTTPS === 443)) report.error(id, 'listen-ports has no HTTPS 443 (the ssl-redirect target)');
      const attrs = (a) => Object.fromEntries(String(an[a] ?? '').split(',').filter(Boolean).map((kv) => kv.trim().split('=')));
      const idle = Number(attrs('alb.ingress.kubernetes.io/load-balancer-attributes')['idle_timeout.timeout_seconds'] ?? 60);
      const apiIdle = apiIdleTimeoutSeconds();
      if (apiIdle === null) report.warn(id, 'the API\'s idle timeout was not found in ApiVerticle.java: ALB idle timeout not compared');
      else if (idle >= apiIdle) report.error(id, `ALB idle timeout ${idle} s is not below the API's connection idle timeout ${apiIdle} s (502s on reused connections)`);
      const dereg = Number(attrs('alb.ingress.kubernetes.io/target-group-attributes')['deregistration_delay.timeout_seconds'] ?? 300);
      const apiPod = find('Deployment', 'imagery-api')?.obj.spec.template.spec;
      if (apiPod && dereg > (apiPod.terminationGracePeriodSeconds ?? 30)) report.error(id, `deregistration delay ${dereg} s exceeds the api pod's grace period ${apiPod.terminationGracePeriodSeconds} s`);

      // Rule order of the AWS Load Balancer Controller (v2.4.3+): Exact, then Prefix longest first, then
      // ImplementationSpecific in manifest order; no match: spec.defaultBackend, else a fixed 404.
      const rules = [];
      for (const r of ing.spec.rules ?? []) for (const p of r.http?.paths ?? []) rules.push({ path: p.path ?? '/', type: p.pathType ?? 'ImplementationSpecific', backend: p.backend, idx: rules.length });
      const rank = (t) => ({ Exact: 0, Prefix: 1 }[t] ?? 2);
      rules.sort((a, b) => rank(a.type) - rank(b.type) || (a.type === 'Prefix' && b.type === 'Prefix' ? b.path.length - a.path.length : 0) || a.idx - b.idx);
      const glob = (p) => new RegExp(`^${p.split('').map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
      const hit = (r, p) => (r.type === 'Exact' ? p === r.path
        : r.type === 'Prefix' ? (r.path.replace(/\/+$/, '') === '' || p === r.path.replace(/\/+$/, '') || p.startsWith(`${r.path.replace(/\/+$/, '')}/`))
          : glob(r.path).test(p));
      const route = (p) => {
        const r = rules.find((x) => hit(x, p));
        const b = r ? r.backend : ing.spec.defaultBackend;
        if (!b?.service) return { what: 'default 404', rule: null };
        if (b.service.port?.name === 'use-annotation') {
          const a = albAction(ing, b.service.name);
          return { what: a.type === 'forward' ? `forward action ${b.service.name}` : `${a.type} ${a.status ?? ''} (${b.service.name})`.replace('  ', ' '), action: a, rule: r };
        }
        return { what: `Service ${b.service.name}`, service: b.service.name, rule: r };
      };
      const id0 = '3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48';
      for (const p of ['/', '/index.html', '/image', `/image/${id0}`, `/image/${id0}/upload`, `/image/${id0}/result`, `/image/${id0}/thumbnail`, '/health/live', '/health/ready']) {
        const r = route(p);
        if (r.service !== 'imagery-api') report.error(id, `public path ${p} does not reach Service imagery-api (goes to ${r.what})`);
      }
      for (const p of ['/admin', '/admin/', '/admin/dead-letters', '/admin/dead-letters/redrive']) {
        const r = route(p);
        if (r.service || r.action?.type === 'forward') report.error(id, `${p} reaches the service (${r.what}): admin routes must not be exposed`);
        else if (!r.rule || r.action?.type !== 'fixed-response') report.error(id, `${p} is not answered by an explicit fixed-response rule (goes to ${r.what})`);
      }
      for (const p of ['/unlisted', '/imagex', '/healthz', '/favicon.ico', '/.env']) {
        const r = route(p);
        if (r.service || r.action?.type === 'forward') report.error(id, `unlisted path ${p} is forwarded (${r.what}): only the public paths may be`);
      }
    }

    // KEDA: the worker scales on the jobs queue.
    const sos = byKind('ScaledObject');
    const so = sos.find(({ obj }) => obj.spec?.scaleTargetRef?.name === 'imagery-worker');
    if (!so) report.error(name, 'no ScaledObject for imagery-worker');
    else {
      const t = (so.obj.spec.triggers ?? []).find((x) => x.type === 'aws-sqs-queue');
      if (!t) report.error(so.id, 'no aws-sqs-queue trigger');
      else {
        const md = t.metadata ?? {};
        const m = /^https:\/\/sqs\.([\w-]+)\.amazonaws\.com\/(\d{12})\/([\w-]+)$/.exec(md.queueURL ?? '');
        if (!m) report.error(so.id, `queueURL '${md.queueURL}' is not https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE`);
        else {
          if (m[3] !== (configMap.IMAGERY_QUEUE ?? 'imagery-jobs')) report.error(so.id, `queueURL names queue '${m[3]}', the services use '${configMap.IMAGERY_QUEUE}'`);
          if (m[1] !== md.awsRegion) report.error(so.id, `queueURL region ${m[1]} differs from awsRegion ${md.awsRegion}`);
        }
        if (md.awsRegion !== configMap.AWS_REGION) report.error(so.id, `awsRegion ${md.awsRegion} differs from AWS_REGION ${configMap.AWS_REGION}`);
        if (!/^\d+$/.test(md.queueLength ?? '')) report.error(so.id, 'queueLength is not a number');
        const auth = t.authenticationRef?.name && find('TriggerAuthentication', t.authenticationRef.name);
        if (!auth && md.identityOwner !== 'operator') report.error(so.id, 'no credentials: neither a TriggerAuthentication (podIdentity aws) nor identityOwner: operator');
        if (auth && auth.obj.spec?.podIdentity?.provider !== 'aws') report.error(auth.id, 'podIdentity.provider is not aws');
      }
      if ((so.obj.spec.minReplicaCount ?? 0) < 2) report.error(so.id, 'minReplicaCount is under 2');
    }
  }

  // ----------------------------------------------------------------------------------------- local
  if (name === 'local') {
    const emu = workloads.filter(({ obj }) => podHas(obj, 'imagery-local'));
    if (emu.length !== 1) report.error(name, `expected one pod with the emulators (image imagery-local), found ${emu.length}`);
    for (const { obj: d, id } of emu) {
      const pod = d.spec.template.spec;
      const c = containersOf(pod).find((x) => imageBase(x.image) === 'imagery-local');
      if (!(c.args ?? c.command ?? []).includes('--emulators-only')) report.error(id, `${c.name}: not started with --emulators-only`);
      if ((pod.initContainers ?? []).includes(c) && c.restartPolicy !== 'Always') report.error(id, `${c.name}: an initContainer that is not a sidecar (restartPolicy: Always) would block the pod`);
      // The emulators listen on 127.0.0.1 only: the api and the worker must be in this very pod.
      for (const app of APPS) if (!podHas(d, app)) report.error(id, `no ${app} container in the emulators' pod (they bind 127.0.0.1: other pods cannot reach them)`);
      if (d.spec.replicas !== 1) report.error(id, `replicas ${d.spec.replicas}: each copy would have its own emulators`);
      if (d.spec.strategy?.type !== 'Recreate') report.error(id, 'strategy is not Recreate (a rollout would run two sets of emulators)');
      if (scalers.has(`Deployment/${d.metadata.name}`)) report.error(id, `scaled by ${scalers.get(`Deployment/${d.metadata.name}`)}: one replica only`);
      const ports = { DYNAMODB: '8000', SQS: '9324', S3: '9090' };
      for (const [svc, def] of Object.entries(ports)) {
        const port = envOf(c, `IMAGERY_LOCAL_${svc}_PORT`) ?? def;
        const want = `http://127.0.0.1:${port}`;
        if (configMap[`IMAGERY_${svc}_ENDPOINT`] !== want) report.error(`${name}: ConfigMap/imagery-config`, `IMAGERY_${svc}_ENDPOINT is '${configMap[`IMAGERY_${svc}_ENDPOINT`] ?? ''}', expected ${want}`);
      }
    }
    const wantCm = { IMAGERY_CREATE_RESOURCES: 'true', AWS_ACCESS_KEY_ID: 'imagerylocal', AWS_SECRET_ACCESS_KEY: 'imagery-local-secret' };
    for (const [k, v] of Object.entries(wantCm)) if (configMap[k] !== v) report.error(`${name}: ConfigMap/imagery-config`, `${k} is '${configMap[k] ?? ''}', expected '${v}'`);
    for (const kind of ['Ingress', 'ScaledObject', 'TriggerAuthentication']) if (byKind(kind).length) report.error(name, `has a ${kind} (not for a local cluster)`);
    for (const { obj, id } of byKind('ServiceAccount')) {
      if (Object.keys(obj.metadata.annotations ?? {}).some((k) => k.startsWith('eks.amazonaws.com/'))) report.error(id, 'has an IRSA annotation');
    }
  }
  // Every variable given to the services is documented in the project README (catches misspelt names, which the
  // services would silently ignore).
  const documented = readmeVariables();
  if (documented) {
    const given = new Set(Object.keys(configMap));
    for (const { obj } of workloads) for (const c of containersOf(obj.spec.template.spec)) for (const e of c.env ?? []) given.add(e.name);
    for (const v of [...given].sort()) if (!documented.has(v)) report.warn(name, `variable ${v} is not in README.md's configuration table`);
  }
  if (name !== 'aws' && name !== 'local') report.warn(name, 'no overlay-specific checks for this name (only aws and local have them)');
  return objects.length;
}

// ------------------------------------------------------------------------------------------- driver

const run = promisify(execFile);
async function render(dir) {
  try {
    return { text: (await run(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 })).stdout };
  } catch (e) {
    return { error: String(e.stderr || e.message).trim().split('\n').slice(0, 5).join(' | ') };
  }
}

// Validates base/ and the overlays of a k8s directory (rendered in parallel); returns { report, counts }.
async function validateTree(root, overlayDirs) {
  const report = newReport();
  const kustomizations = {};
  const baseDir = path.join(root, 'base');
  if (fs.existsSync(baseDir)) checkSourceDir(baseDir, report);
  const counts = {};
  const rendered = await Promise.all(overlayDirs.map((dir) => render(dir)));
  for (const [i, dir] of overlayDirs.entries()) {
    const name = path.basename(dir);
    kustomizations[name] = checkSourceDir(dir, report);
    const r = rendered[i];
    if (r.error) {
      report.error(name, `kubectl kustomize ${show(dir)} failed: ${r.error}`);
      continue;
    }
    counts[name] = validateRendered(name, r.text, report, kustomizations);
  }
  return { report, counts };
}

const overlayRoot = path.join(k8sDir, 'overlays');
const overlays = overlayArgs.length ? overlayArgs.map((d) => path.resolve(d))
  : fs.readdirSync(overlayRoot).map((d) => path.join(overlayRoot, d)).filter((d) => fs.statSync(d).isDirectory()).sort();
if (!overlays.length) {
  console.log(`k8s: INVALID: no overlays in ${show(overlayRoot)}`);
  process.exit(1);
}
const { report, counts } = await validateTree(k8sDir, overlays);

// Broken copies that must be rejected: [description, file under k8s/, from, to, overlays to render, expected error].
const MUTATIONS = [
  ['/admin forwarded to the api', 'overlays/aws/ingress.yaml',
    'name: admin-blocked\n                port:\n                  name: use-annotation',
    'name: imagery-api\n                port:\n                  name: http', ['aws'], '/admin reaches the service'],
  ['a catch-all: / as Prefix', 'overlays/aws/ingress.yaml', '- path: /\n            pathType: Exact',
    '- path: /\n            pathType: Prefix', ['aws'], 'unlisted path /unlisted is forwarded'],
  ['image tag latest', 'overlays/aws/kustomization.yaml', 'newTag: 0.1.0 # placeholder: the release you pushed',
    'newTag: latest', ['aws'], 'is not pinned'],
  ['local image tag latest', 'overlays/local/kustomization.yaml', '- name: imagery-local\n    newTag: 0.1.0-SNAPSHOT',
    '- name: imagery-local\n    newTag: latest', ['local'], 'is not pinned'],
  ['no IRSA annotation', 'overlays/aws/serviceaccounts-irsa.yaml', 'eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/imagery-worker',
    'eks.amazonaws.com/role-arm: arn:aws:iam::111122223333:role/imagery-worker', ['aws'], 'no IRSA annotation'],
  ['KEDA targets a missing Deployment', 'overlays/aws/keda-scaledobject.yaml', 'name: imagery-worker\n  minReplicaCount',
    'name: imagery-workers\n  minReplicaCount', ['aws'], 'scaleTargetRef Deployment/imagery-workers is not defined'],
  ['a typo in a probe field', 'base/worker-deployment.yaml', 'periodSeconds: 10\n            timeoutSeconds: 3',
    'periodSecondz: 10\n            timeoutSeconds: 3', ['aws'], 'periodSecondz: unknown field'],
  ['the worker without a liveness probe', 'base/worker-deployment.yaml', 'livenessProbe:', 'readinessProbe:', ['aws'],
    'livenessProbe is not GET /health/live'],
  ['a NetworkPolicy port that does not exist', 'base/networkpolicy.yaml', 'port: management', 'port: managment', ['aws'],
    'port managment is not a container port'],
  ['the scrape annotation on the public port', 'base/api-deployment.yaml', 'prometheus.io/port: "8081"',
    'prometheus.io/port: "8080"', ['aws'], 'do not name /metrics on a management port'],
  ['the management port open to anyone', 'base/networkpolicy.yaml',
    '- from:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: monitoring',
    '- from: null', ['aws'], 'admits the management port 8081 from anywhere'],
  ['no default-deny NetworkPolicy', 'base/networkpolicy.yaml', 'policyTypes: ["Ingress", "Egress"]\n---',
    'policyTypes: ["Ingress"]\n---', ['aws', 'local'], 'no default-deny NetworkPolicy'],
  ['a writable root filesystem for the emulators', 'overlays/local/api-pod-with-emulators-and-worker.yaml',
    'readOnlyRootFilesystem: true\n            runAsNonRoot: true\n            capabilities:\n              drop: ["ALL"]\n          volumeMounts:\n            - name: emulators-tmp',
    'readOnlyRootFilesystem: false\n            runAsNonRoot: true\n            capabilities:\n              drop: ["ALL"]\n          volumeMounts:\n            - name: emulators-tmp',
    ['local'], 'emulators: securityContext.readOnlyRootFilesystem is not true'],
  ['no S3 endpoint override', 'overlays/local/configmap-emulators.yaml', '  IMAGERY_S3_ENDPOINT: http://127.0.0.1:9090\n', '',
    ['local'], 'IMAGERY_S3_ENDPOINT is \'\''],
  ['the emulators in their own pod', 'overlays/local/kustomization.yaml', '  - path: api-pod-with-emulators-and-worker.yaml\n', '',
    ['local'], 'expected one pod with the emulators'],
];

let selfChecked = 0;
let selfRejected = 0;
const selfFailures = [];
if (selfCheck) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-self-check-'));
  try {
    const jobs = MUTATIONS.map(([desc, file, from, to, targets, expect], i) => {
      const copy = path.join(tmp, `m${i}`, 'k8s');
      fs.mkdirSync(copy, { recursive: true });
      for (const d of ['base', 'overlays']) fs.cpSync(path.join(k8sDir, d), path.join(copy, d), { recursive: true });
      const target = path.join(copy, file);
      const text = fs.readFileSync(target, 'utf8');
      if (!text.includes(from)) {
        selfFailures.push(`self-check '${desc}': '${from.split('\n')[0]}' is no longer in ${file}: update MUTATIONS in validate.mjs`);
        return null;
      }
      fs.writeFileSync(target, text.replace(from, to));
      return validateTree(copy, targets.map((t) => path.join(copy, 'overlays', t)))
        .then(({ report: r }) => ({ desc, file, expect, r }));
    });
    for (const job of await Promise.all(jobs)) {
      if (!job) continue;
      const { desc, file, expect, r } = job;
      selfChecked++;
      if (r.errors.some((e) => e.includes(expect))) selfRejected++;
      else selfFailures.push(`self-check '${desc}' (${file}): not rejected with '${expect}'; errors: ${r.errors.slice(0, 3).join(' / ') || 'none'}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------- report

for (const w of report.warnings) console.log(`warning: ${w}`);
for (const e of report.errors) console.log(`error: ${e}`);
for (const e of selfFailures) console.log(`error: ${e}`);
const list = Object.entries(counts).map(([n, c]) => `${n} (${c} objects)`).join(', ');
const selfNote = selfCheck ? `; self-check: ${selfRejected}/${MUTATIONS.length} broken copies rejected` : '';
if (report.errors.length || selfFailures.length) {
  console.log(`k8s: INVALID: ${report.errors.length + selfFailures.length} error(s); overlays: ${list || 'none rendered'}${selfNote}`);
  process.exit(1);
}
console.log(`k8s: valid: ${list}: schema, unknown fields, references, overlay checks${selfNote}`);
