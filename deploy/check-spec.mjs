// Checks a CloudFormation template against the current CloudFormation resource specification (npm
// @aws-cdk/aws-service-spec, the database the AWS CDK generates its L1 classes from):
//   - every resource type exists;
//   - every property, at every depth of nested property types, is known (a typo such as `StopTimout`, or a
//     property the spec moved, fails);
//   - required properties are present;
//   - a property that takes an object, a list or a scalar gets one (an object where a list belongs fails);
//   - string properties with an enumeration in the spec (few have one) get one of its values;
//   - every Ref / GetAtt / ${} names a parameter, a resource (GetAtt: one of its attributes) or a pseudo
//     parameter, and every Condition named exists.
// Values behind an intrinsic function are not known offline: Fn::If is checked on both branches, other
// functions are accepted as they are.
//
//   node check-spec.mjs CACHE_DIR TEMPLATE
import { loadTemplate, tools } from './lib/template.mjs';

const [cacheDir, file] = process.argv.slice(2);
if (!cacheDir || !file) {
  console.error('usage: node check-spec.mjs CACHE_DIR TEMPLATE');
  process.exit(2);
}
const { loadAwsServiceSpecSync } = tools(cacheDir)('@aws-cdk/aws-service-spec');
const db = loadAwsServiceSpecSync();
const template = loadTemplate(file, cacheDir);

const errors = [];
let propertiesChecked = 0;
const error = (where, msg) => errors.push(`${where}: ${msg}`);

const isIntrinsic = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1
  && (Object.keys(v)[0] === 'Ref' || Object.keys(v)[0].startsWith('Fn::'));
const isNoValue = (v) => isIntrinsic(v) && v.Ref === 'AWS::NoValue';

// Calls check(value) on each value an expression may take: both branches of Fn::If, the value itself otherwise.
function eachValue(value, where, check) {
  if (isIntrinsic(value) && value['Fn::If']) {
    const [, yes, no] = value['Fn::If'];
    eachValue(yes, `${where}(if)`, check);
    eachValue(no, `${where}(else)`, check);
  } else if (!isNoValue(value)) {
    check(value, where);
  }
}

function checkValue(type, value, where) {
  eachValue(value, where, (v, w) => {
    if (isIntrinsic(v)) {
      return; // resolved at deploy time
    }
    switch (type.type) {
      case 'ref': {
        const def = db.get('typeDefinition', type.reference);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) {
          error(w, `expects an object (${def.name}), got ${JSON.stringify(v)}`);
          return;
        }
        checkProperties(def.properties, v, w, def.name);
        return;
      }
      case 'array':
        if (!Array.isArray(v)) {
          error(w, `expects a list, got ${JSON.stringify(v)}`);
          return;
        }
        v.forEach((item, i) => checkValue(type.element, item, `${w}[${i}]`));
        return;
      case 'map':
        if (typeof v !== 'object' || Array.isArray(v)) {
          error(w, `expects a map, got ${JSON.stringify(v)}`);
          return;
        }
        for (const [k, item] of Object.entries(v)) {
          checkValue(type.element, item, `${w}.${k}`);
        }
        return;
      case 'union': {
        // Accept the value when one of the alternatives accepts it.
        const before = errors.length;
        for (const alternative of type.types) {
          const mark = errors.length;
          checkValue(alternative, v, w);
          if (errors.length === mark) {
            errors.length = before;
            return;
          }
          errors.length = mark;
        }
        error(w, `matches none of the types ${type.types.map((t) => t.type).join(' | ')}`);
        return;
      }
      case 'json':
        return;
      case 'tag':
        if (typeof v !== 'object' || v === null || Array.isArray(v)) {
          error(w, 'expects a tag {Key, Value}');
        }
        return;
      default:
        // string, number, integer, boolean, date-time: CloudFormation converts between scalars.
        if (typeof v === 'object' && v !== null) {
          error(w, `expects a ${type.type}, got ${Array.isArray(v) ? 'a list' : 'an object'}`);
        } else if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(String(v))) {
          error(w, `'${v}' is not one of ${type.allowedValues.join(', ')}`);
        }
    }
  });
}

function checkProperties(spec, props, where, typeName) {
  for (const [name, value] of Object.entries(props)) {
    propertiesChecked++;
    const property = spec[name];
    if (!property) {
      error(`${where}.${name}`, `unknown property of ${typeName}`);
      continue;
    }
    checkValue(property.type, value, `${where}.${name}`);
  }
  for (const [name, property] of Object.entries(spec)) {
    if (property.required && !(name in props)) {
      error(where, `required property ${name} of ${typeName} is missing`);
    }
  }
}

// ------------------------------------------------------------------------------------ references
const PSEUDO = ['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region',
  'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix'];
const parameters = template.Parameters ?? {};
const resources = template.Resources ?? {};
const conditions = template.Conditions ?? {};
const resourceTypes = {};

function checkGetAtt(resource, attribute, where) {
  if (!resources[resource]) {
    error(where, `GetAtt of unknown resource ${resource}`);
    return;
  }
  const spec = resourceTypes[resource];
  if (spec && !spec.attributes[attribute]) {
    error(where, `${resource} (${spec.cloudFormationType}) has no attribute ${attribute}; it has `
      + Object.keys(spec.attributes).join(', '));
  }
}

function checkRefs(node, where) {
  if (Array.isArray(node)) {
    node.forEach((n, i) => checkRefs(n, `${where}[${i}]`));
    return;
  }
  if (node === null || typeof node !== 'object') {
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'Ref' && typeof value === 'string') {
      if (!PSEUDO.includes(value) && !parameters[value] && !resources[value]) {
        error(where, `Ref to unknown ${value}`);
      }
    } else if (key === 'Fn::GetAtt') {
      const [resource, attribute] = value;
      checkGetAtt(resource, attribute, where);
    } else if (key === 'Fn::Sub') {
      const [text, vars] = typeof value === 'string' ? [value, {}] : value;
      for (const [, name] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        if (vars[name] !== undefined || PSEUDO.includes(name) || parameters[name] || resources[name]) {
          continue;
        }
        const dot = name.indexOf('.');
        if (dot > 0) {
          checkGetAtt(name.slice(0, dot), name.slice(dot + 1), where);
        } else {
          error(where, `\${${name}} names nothing`);
        }
      }
    } else if ((key === 'Condition' || key === 'Fn::If') && where !== 'Resources') {
      const name = key === 'Condition' ? value : value[0];
      if (typeof name === 'string' && !conditions[name]) {
        error(where, `unknown condition ${name}`);
      }
    }
    checkRefs(value, `${where}.${key}`);
  }
}

// ------------------------------------------------------------------------------------------ run
const types = new Set();
for (const [logicalId, resource] of Object.entries(resources)) {
  const where = `Resources.${logicalId}`;
  if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') {
    continue;
  }
  const spec = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
  if (spec.length !== 1) {
    error(where, `unknown resource type ${resource.Type}`);
    continue;
  }
  resourceTypes[logicalId] = spec[0];
  types.add(resource.Type);
  if (resource.Condition && !conditions[resource.Condition]) {
    error(where, `unknown condition ${resource.Condition}`);
  }
  for (const dep of [resource.DependsOn ?? []].flat()) {
    if (!resources[dep]) {
      error(where, `DependsOn unknown resource ${dep}`);
    } else if (resources[dep].Condition && !resource.Condition) {
      // (A conditional resource may depend on one under a condition that its own implies: not checked.)
      error(where, `DependsOn ${dep}, which exists only under condition ${resources[dep].Condition}`);
    }
  }
  checkProperties(spec[0].properties, resource.Properties ?? {}, `${where}.Properties`, resource.Type);
}
checkRefs(resources, 'Resources');
checkRefs(template.Outputs ?? {}, 'Outputs');
checkRefs(conditions, 'Conditions');

for (const e of errors) {
  console.log(`spec: ERROR ${e}`);
}
const summary = `${Object.keys(resources).length} resources of ${types.size} types, ${propertiesChecked} properties`;
if (errors.length > 0) {
  console.log(`spec: INVALID: ${errors.length} error(s) in ${file} (${summary})`);
  process.exit(1);
}
console.log(`spec: OK: ${summary} checked against the resource spec`);
