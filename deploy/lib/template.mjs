// Reads a CloudFormation YAML template into plain objects, turning the short tags (!Ref, !Sub, !If...) into
// their long forms ({Ref: x}, {'Fn::Sub': ...}), the way CloudFormation itself reads them. Used by the checks
// next to this file; they get the cache directory of the npm packages (deploy/validate.sh installs them).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export function tools(cacheDir) {
  return createRequire(path.join(path.resolve(cacheDir), 'package.json'));
}

const FUNCTIONS = ['And', 'Base64', 'Cidr', 'Contains', 'Equals', 'FindInMap', 'GetAZs', 'If', 'ImportValue', 'Join',
  'Not', 'Or', 'Select', 'Split', 'Sub', 'Transform', 'ToJsonString', 'Length', 'EachMemberEquals',
  'EachMemberIn', 'RefAll', 'ValueOf', 'ValueOfAll'];

function customTags(YAML) {
  const tags = [];
  const add = (tag, key, convert = (v) => v) => {
    for (const collection of ['scalar', 'seq', 'map']) {
      tags.push({
        tag: `!${tag}`,
        collection: collection === 'scalar' ? undefined : collection,
        identify: () => false,
        resolve: (value) => ({ [key]: convert(value instanceof YAML.YAMLMap || value instanceof YAML.YAMLSeq
          ? value.toJSON() : value) }),
      });
    }
  };
  add('Ref', 'Ref');
  add('Condition', 'Condition');
  // !GetAtt A.B is {'Fn::GetAtt': ['A', 'B']}; the attribute may itself contain dots (Endpoint.Address).
  add('GetAtt', 'Fn::GetAtt', (v) => (typeof v === 'string' ? [v.slice(0, v.indexOf('.')), v.slice(v.indexOf('.') + 1)] : v));
  for (const name of FUNCTIONS) {
    add(name, `Fn::${name}`);
  }
  // The yaml package wants one entry per tag and collection kind; scalar entries have no collection.
  return tags.map((t) => (t.collection ? t : { tag: t.tag, identify: t.identify, resolve: t.resolve }));
}

export function loadTemplate(file, cacheDir) {
  const YAML = tools(cacheDir)('yaml');
  const text = fs.readFileSync(file, 'utf8');
  const doc = YAML.parseDocument(text, { customTags: customTags(YAML), uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('\n')}`);
  }
  return doc.toJS({ maxAliasCount: 0 });
}
