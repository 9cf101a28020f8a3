// Structural assertions on deploy/ecs/imagery.yaml: the design rules that no schema knows. Each prints what it
// checked; any failure makes the exit status 1.
//
//   node check-design.mjs CACHE_DIR TEMPLATE
import { loadTemplate } from './lib/template.mjs';

const [cacheDir, file] = process.argv.slice(2);
if (!cacheDir || !file) {
  console.error('usage: node check-design.mjs CACHE_DIR TEMPLATE');
  process.exit(2);
}
const t = loadTemplate(file, cacheDir);
const R = t.Resources;
const P = t.Parameters ?? {};
let failed = 0;
let passed = 0;

function check(name, fn) {
  let detail;
  try {
    detail = fn();
  } catch (e) {
    failed++;
    console.log(`design: FAIL ${name}: ${e.message}`);
    return;
  }
  passed++;
  console.log(`design: ok   ${name}${detail ? ` (${detail})` : ''}`);
}
function assert(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}
const ofType = (type) => Object.entries(R).filter(([, r]) => r.Type === type);
const one = (type) => {
  const found = ofType(type);
  assert(found.length === 1, `expected one ${type}, found ${found.length}`);
  return found[0];
};
// A literal or a parameter's default (Ref to a parameter).
function value(v) {
  if (v && typeof v === 'object' && 'Ref' in v && P[v.Ref]) {
    return P[v.Ref].Default;
  }
  return v;
}
const minOf = (v) => (v && typeof v === 'object' && 'Ref' in v && P[v.Ref] ? P[v.Ref].MinValue : v);
const env = (container, name) => {
  const e = (container.Environment ?? []).find((x) => x.Name === name);
  return e === undefined ? undefined : value(e.Value);
};
const refersTo = (v, id) => JSON.stringify(v).includes(`"${id}"`) || JSON.stringify(v).includes(`${id}.`);
const services = ofType('AWS::ECS::Service');
const containerOf = (service) => {
  const td = R[service.Properties.TaskDefinition.Ref];
  assert(td, 'task definition not found');
  return td.Properties.ContainerDefinitions[0];
};
const apiService = services.find(([, s]) => s.Properties.LoadBalancers);
const workerService = services.find(([, s]) => !s.Properties.LoadBalancers);

check('two AZs: subnets in !GetAZs index 0 and 1', () => {
  const azs = new Set(ofType('AWS::EC2::Subnet').map(([, s]) => JSON.stringify(s.Properties.AvailabilityZone)));
  assert(azs.has(JSON.stringify({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] })), 'no subnet in AZ index 0');
  assert(azs.has(JSON.stringify({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] })), 'no subnet in AZ index 1');
  for (const [id, s] of services) {
    const subnets = s.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets;
    const created = subnets['Fn::If'] ? subnets['Fn::If'][1] : subnets;
    const zones = new Set(created.map((x) => JSON.stringify(R[x.Ref].Properties.AvailabilityZone)));
    assert(zones.size >= 2, `${id} runs in ${zones.size} AZ(s)`);
  }
  return `${azs.size} AZs, both services in 2`;
});

check('two services (API behind the ALB, worker)', () => {
  assert(services.length === 2 && apiService && workerService, `found ${services.length} services`);
  return `${apiService[0]}, ${workerService[0]}`;
});

check('each service: DesiredCount >= 2 (default and minimum) and circuit breaker with rollback', () => {
  for (const [id, s] of services) {
    const d = s.Properties.DesiredCount;
    assert(value(d) >= 2, `${id} DesiredCount default ${value(d)}`);
    assert(typeof d !== 'object' || minOf(d) >= 2, `${id} DesiredCount parameter allows ${minOf(d)}`);
    const cb = s.Properties.DeploymentConfiguration?.DeploymentCircuitBreaker;
    assert(cb?.Enable === true && cb?.Rollback === true, `${id} circuit breaker ${JSON.stringify(cb)}`);
    const { MinimumHealthyPercent: min, MaximumPercent: max } = s.Properties.DeploymentConfiguration;
    assert(min >= 50 && max >= 100 + (100 - min) && max > 100, `${id} min ${min}% / max ${max}%`);
  }
  return services.map(([id, s]) => `${id} ${value(s.Properties.DesiredCount)}`).join(', ');
});

check('each container: StopTimeout > IMAGERY_SHUTDOWN_TIMEOUT_SECONDS, <= 120 (Fargate)', () => {
  return services.map(([id, s]) => {
    const c = containerOf(s);
    const shutdown = Number(env(c, 'IMAGERY_SHUTDOWN_TIMEOUT_SECONDS'));
    assert(Number.isFinite(shutdown), `${id}: IMAGERY_SHUTDOWN_TIMEOUT_SECONDS not set`);
    assert(c.StopTimeout > shutdown, `${id}: StopTimeout ${c.StopTimeout} <= shutdown ${shutdown}`);
    assert(c.StopTimeout <= 120, `${id}: StopTimeout ${c.StopTimeout} > 120`);
    return `${c.Name} ${shutdown} < ${c.StopTimeout}`;
  }).join(', ');
});

check('queue VisibilityTimeout == worker IMAGERY_VISIBILITY_TIMEOUT_SECONDS', () => {
  const c = containerOf(workerService[1]);
  const queueId = JSON.stringify(c.Environment.find((e) => e.Name === 'IMAGERY_QUEUE').Value).match(/"(\w+)","QueueName"|(\w+)\.QueueName/);
  const id = queueId[1] ?? queueId[2];
  const vt = R[id].Properties.VisibilityTimeout;
  const workerVt = Number(env(c, 'IMAGERY_VISIBILITY_TIMEOUT_SECONDS'));
  assert(vt === workerVt, `${id} VisibilityTimeout ${vt} != worker ${workerVt}`);
  return `${id} ${vt} = ${workerVt}`;
});

check('ALB deregistration delay >= API shutdown seconds, and the API StopTimeout > its shutdown', () => {
  const [, tg] = one('AWS::ElasticLoadBalancingV2::TargetGroup');
  const delay = Number(tg.Properties.TargetGroupAttributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value);
  const c = containerOf(apiService[1]);
  const shutdown = Number(env(c, 'IMAGERY_SHUTDOWN_TIMEOUT_SECONDS'));
  assert(delay >= shutdown, `deregistration delay ${delay} < shutdown ${shutdown}`);
  assert(c.StopTimeout > shutdown, `StopTimeout ${c.StopTimeout}`);
  return `delay ${delay} >= shutdown ${shutdown} < stopTimeout ${c.StopTimeout}`;
});

check('target group: ip, port 8080, health check /health/ready matcher 200', () => {
  const [, tg] = one('AWS::ElasticLoadBalancingV2::TargetGroup');
  const p = tg.Properties;
  assert(p.TargetType === 'ip' && p.Port === 8080, `TargetType ${p.TargetType} port ${p.Port}`);
  assert(p.HealthCheckPath === '/health/ready', `HealthCheckPath ${p.HealthCheckPath}`);
  assert(String(p.Matcher?.HttpCode) === '200', `Matcher ${JSON.stringify(p.Matcher)}`);
  return p.HealthCheckPath;
});

check('ALB idle timeout < the API keep-alive idle timeout (120 s) and >= 60 s for slow uploads', () => {
  const [, lb] = one('AWS::ElasticLoadBalancingV2::LoadBalancer');
  const idle = Number(lb.Properties.LoadBalancerAttributes.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value);
  assert(idle >= 60 && idle < 120, `idle timeout ${idle}`);
  return `${idle} s`;
});

check('every listener that forwards answers /admin and /admin/* with a fixed 404 JSON', () => {
  const listeners = ofType('AWS::ElasticLoadBalancingV2::Listener');
  const rules = ofType('AWS::ElasticLoadBalancingV2::ListenerRule');
  const forwards = (actions) => JSON.stringify(actions).includes('"forward"');
  const checked = [];
  for (const [id, l] of listeners) {
    const actions = l.Properties.DefaultActions;
    // For an !If, the branches that forward are the ones that must have the rule (under the same condition).
    const branches = actions['Fn::If'] ? [[actions['Fn::If'][1], actions['Fn::If'][0], true],
      [actions['Fn::If'][2], actions['Fn::If'][0], false]] : [[actions, l.Condition, true]];
    for (const [branch, condition, when] of branches) {
      if (!forwards(branch)) {
        continue;
      }
      const mine = rules.filter(([, r]) => r.Properties.ListenerArn.Ref === id);
      const covered = ['/admin', '/admin/*'].every((path) => mine.some(([rid, r]) => {
        const paths = r.Properties.Conditions.flatMap((c) => c.PathPatternConfig?.Values ?? c.Values ?? []);
        const a = r.Properties.Actions[0];
        const body = a.FixedResponseConfig?.MessageBody ?? '';
        // The rule must exist whenever this branch forwards: same condition, or the negation of the !If's one.
        const ruleCondition = r.Condition;
        const sameScope = condition === undefined ? ruleCondition === undefined
          : (when ? ruleCondition === condition : ruleCondition !== undefined && ruleCondition !== condition
            && JSON.stringify(t.Conditions[ruleCondition]) !== JSON.stringify(t.Conditions[condition]));
        return paths.includes(path) && a.Type === 'fixed-response' && String(a.FixedResponseConfig.StatusCode) === '404'
          && JSON.parse(body).error === 'NOT_FOUND' && typeof JSON.parse(body).message === 'string' && sameScope
          && rid;
      }));
      assert(covered, `listener ${id} forwards${condition ? ` (${when ? '' : 'not '}${condition})` : ''} without a 404 rule for /admin and /admin/*`);
      checked.push(`${id}${condition ? `[${when ? '' : '!'}${condition}]` : ''}`);
    }
  }
  assert(checked.length > 0, 'no forwarding listener');
  return checked.join(', ');
});

check('listener rules: path patterns use only the characters the ALB allows, <= 5 values and 5 wildcards per rule', () => {
  // ALB: A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & * ?, up to 128 characters; per rule 5 condition values, 5 wildcards.
  const rules = ofType('AWS::ElasticLoadBalancingV2::ListenerRule');
  let count = 0;
  for (const [id, r] of rules) {
    const values = r.Properties.Conditions.flatMap((c) => c.PathPatternConfig?.Values ?? []);
    assert(values.length <= 5, `${id} has ${values.length} values`);
    const wildcards = values.join('').replace(/[^*?]/g, '').length;
    assert(wildcards <= 5, `${id} has ${wildcards} wildcards`);
    for (const v of values) {
      assert(/^[A-Za-z0-9_\-.$/~"'@:+&*?]{1,128}$/.test(v), `${id}: '${v}' has a character the ALB refuses`);
      count++;
    }
  }
  return `${count} patterns in ${rules.length} rules`;
});

check('with a certificate: port 80 redirects 301 to HTTPS, and HTTPS uses a TLS 1.2+ policy', () => {
  const listeners = ofType('AWS::ElasticLoadBalancingV2::Listener');
  const http = listeners.find(([, l]) => l.Properties.Protocol === 'HTTP');
  const https = listeners.find(([, l]) => l.Properties.Protocol === 'HTTPS');
  assert(http && https, 'needs an HTTP and an HTTPS listener');
  const cond = https[1].Condition;
  const actions = http[1].Properties.DefaultActions['Fn::If'];
  assert(actions && actions[0] === cond, `the HTTP listener's actions do not depend on ${cond}`);
  const redirect = actions[1][0];
  assert(redirect.Type === 'redirect' && redirect.RedirectConfig.Protocol === 'HTTPS'
    && redirect.RedirectConfig.StatusCode === 'HTTP_301', `with ${cond}: ${JSON.stringify(redirect)}`);
  assert(/TLS13|TLS-1-2/.test(https[1].Properties.SslPolicy ?? ''), `SslPolicy ${https[1].Properties.SslPolicy}`);
  return `${http[0]} -> 301 https when ${cond}; ${https[1].Properties.SslPolicy}`;
});

check('IMAGERY_CREATE_RESOURCES=false in every container', () => {
  return services.map(([id, s]) => {
    const v = env(containerOf(s), 'IMAGERY_CREATE_RESOURCES');
    assert(v === 'false', `${id}: ${v}`);
    return id;
  }).join(', ');
});

check('image parameters: no default ending in :latest, and the AllowedPattern refuses :latest', () => {
  const images = Object.entries(P).filter(([name]) => /Image$/.test(name));
  assert(images.length >= 2, 'no image parameters');
  for (const [name, p] of images) {
    assert(!String(p.Default ?? '').endsWith(':latest'), `${name} default ${p.Default}`);
    assert(p.AllowedPattern, `${name} has no AllowedPattern`);
    const re = new RegExp(p.AllowedPattern);
    const host = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/imagery-api';
    for (const bad of [`${host}:latest`, host, `${host}:`, 'docker.io/library/imagery:1.0']) {
      assert(!re.test(bad), `${name} accepts ${bad}`);
    }
    for (const good of [`${host}:3f2b6c1`, `${host}:v1.2.3`, `${host}:lates`, `${host}:latest1`, `${host}:Latest`,
      `${host}:latesT`, `${host}@sha256:${'a'.repeat(64)}`]) {
      assert(re.test(good), `${name} refuses ${good}`);
    }
  }
  return images.map(([n]) => n).join(', ');
});

check('worker scaling: target tracking on metric math, visible jobs / RunningTaskCount', () => {
  const target = ofType('AWS::ApplicationAutoScaling::ScalableTarget')
    .find(([, s]) => refersTo(s.Properties.ResourceId, workerService[0]));
  assert(target, 'no scalable target for the worker service');
  assert(value(target[1].Properties.MinCapacity) >= 2, 'worker MinCapacity < 2');
  const policy = ofType('AWS::ApplicationAutoScaling::ScalingPolicy')
    .find(([, p]) => p.Properties.ScalingTargetId?.Ref === target[0]);
  assert(policy, 'no scaling policy on the worker target');
  const metrics = policy[1].Properties.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification?.Metrics;
  assert(Array.isArray(metrics), 'no CustomizedMetricSpecification.Metrics');
  const visible = metrics.find((m) => m.MetricStat?.Metric?.MetricName === 'ApproximateNumberOfMessagesVisible');
  const tasks = metrics.find((m) => m.MetricStat?.Metric?.MetricName === 'RunningTaskCount'
    && m.MetricStat.Metric.Namespace === 'ECS/ContainerInsights');
  assert(visible && tasks, 'needs ApproximateNumberOfMessagesVisible and ECS/ContainerInsights RunningTaskCount');
  const dims = tasks.MetricStat.Metric.Dimensions.map((d) => d.Name).sort().join(',');
  assert(dims === 'ClusterName,ServiceName', `RunningTaskCount dimensions ${dims}`);
  const out = metrics.filter((m) => m.ReturnData !== false);
  assert(out.length === 1 && out[0].Expression?.replace(/\s/g, '') === `${visible.Id}/${tasks.Id}`,
    `returned expression ${JSON.stringify(out.map((m) => m.Expression))}`);
  const [, cluster] = one('AWS::ECS::Cluster');
  const ci = (cluster.Properties.ClusterSettings ?? []).find((s) => s.Name === 'containerInsights');
  assert(ci && ['enabled', 'enhanced'].includes(value(ci.Value)), 'Container Insights is off: no RunningTaskCount');
  return out[0].Expression;
});

check('API scaling: target tracking on ALBRequestCountPerTarget with LB/TG full names', () => {
  const target = ofType('AWS::ApplicationAutoScaling::ScalableTarget')
    .find(([, s]) => refersTo(s.Properties.ResourceId, apiService[0]));
  assert(target && value(target[1].Properties.MinCapacity) >= 2, 'no API scalable target with min >= 2');
  const policy = ofType('AWS::ApplicationAutoScaling::ScalingPolicy').find(([, p]) => p.Properties.ScalingTargetId?.Ref === target[0]
    && p.Properties.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType === 'ALBRequestCountPerTarget');
  assert(policy, 'no ALBRequestCountPerTarget policy');
  const label = JSON.stringify(policy[1].Properties.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel);
  assert(label.includes('LoadBalancerFullName') && label.includes('TargetGroupFullName'), `ResourceLabel ${label}`);
  return policy[0];
});

check('containers: read-only root, /tmp volume mounted, user 10001, awslogs, health check', () => {
  return services.map(([id, s]) => {
    const td = R[s.Properties.TaskDefinition.Ref].Properties;
    const c = td.ContainerDefinitions[0];
    assert(td.NetworkMode === 'awsvpc' && td.RequiresCompatibilities.includes('FARGATE'), `${id} not awsvpc Fargate`);
    assert(c.ReadonlyRootFilesystem === true, `${id} root is writable`);
    assert(c.User === '10001:10001', `${id} user ${c.User}`);
    const tmp = (c.MountPoints ?? []).find((m) => m.ContainerPath === '/tmp');
    assert(tmp && td.Volumes.some((v) => v.Name === tmp.SourceVolume && !v.Host), `${id} has no ephemeral /tmp`);
    assert(c.LogConfiguration?.LogDriver === 'awslogs', `${id} log driver`);
    const group = c.LogConfiguration.Options['awslogs-group'];
    assert(R[group.Ref]?.Type === 'AWS::Logs::LogGroup' && R[group.Ref].Properties.RetentionInDays, `${id} log group`);
    const cmd = c.HealthCheck?.Command ?? [];
    assert(cmd[0] === 'CMD' && cmd.join(' ').includes('/health/live'), `${id} health check ${JSON.stringify(cmd)}`);
    return c.Name;
  }).join(', ');
});

check('health checks probe the ports the containers listen on (API PORT 8080, worker IMAGERY_MANAGEMENT_PORT)', () => {
  const api = containerOf(apiService[1]);
  const worker = containerOf(workerService[1]);
  const port = (c) => c.HealthCheck.Command.join(' ').match(/\/dev\/tcp\/127\.0\.0\.1\/(\d+)/)?.[1];
  assert(port(api) === String(env(api, 'PORT') ?? 8080), `API probes ${port(api)}`);
  assert(port(worker) === String(env(worker, 'IMAGERY_MANAGEMENT_PORT')), `worker probes ${port(worker)}`);
  return `api ${port(api)}, worker ${port(worker)}`;
});

check('security groups: only the ALB reaches the API, on 8080; the optional AdminCidr and MetricsCidr only the management port 8081; the worker only the latter', () => {
  const apiSg = apiService[1].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0].Ref;
  const workerSg = workerService[1].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0].Ref;
  const [albSgId] = one('AWS::ElasticLoadBalancingV2::LoadBalancer')[1].Properties.SecurityGroups.map((s) => s.Ref);
  assert(!R[apiSg].Properties.SecurityGroupIngress, 'API SG has inline ingress');
  assert(!R[workerSg].Properties.SecurityGroupIngress, 'worker SG has inline ingress');
  const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r);
  const management = (r, cidr) => r.Condition && r.Properties.CidrIp?.Ref === cidr && r.Properties.FromPort === 8081
    && r.Properties.ToPort === 8081;
  for (const r of ingress.filter((x) => x.Properties.GroupId.Ref === workerSg)) {
    assert(management(r, 'MetricsCidr'), `worker ingress ${r.Properties.FromPort}-${r.Properties.ToPort} from ${JSON.stringify(r.Properties.SourceSecurityGroupId ?? r.Properties.CidrIp)}`);
  }
  for (const r of ingress.filter((x) => x.Properties.GroupId.Ref === apiSg)) {
    const p = r.Properties;
    const fromAlb = p.SourceSecurityGroupId?.Ref === albSgId && p.FromPort === 8080 && p.ToPort === 8080;
    assert(fromAlb || management(r, 'AdminCidr') || management(r, 'MetricsCidr'), `API ingress ${p.FromPort}-${p.ToPort} from ${JSON.stringify(p.SourceSecurityGroupId ?? p.CidrIp)}`);
  }
  return `${apiSg} <- ${albSgId}`;
});

check('metrics: both containers map the management port and label it for Prometheus discovery (ECS_PROMETHEUS_*)', () => {
  for (const [name, service] of [['api', apiService], ['worker', workerService]]) {
    const c = containerOf(service[1]);
    const port = String(env(c, 'IMAGERY_MANAGEMENT_PORT'));
    const labels = c.DockerLabels ?? {};
    assert(labels.ECS_PROMETHEUS_EXPORTER_PORT === port, `${name}: ECS_PROMETHEUS_EXPORTER_PORT ${labels.ECS_PROMETHEUS_EXPORTER_PORT} is not the management port ${port}`);
    assert(labels.ECS_PROMETHEUS_METRICS_PATH === '/metrics', `${name}: ECS_PROMETHEUS_METRICS_PATH ${labels.ECS_PROMETHEUS_METRICS_PATH}`);
    assert((c.PortMappings ?? []).some((m) => String(m.ContainerPort) === port), `${name}: no port mapping for ${port}`);
  }
  return 'api and worker on 8081';
});

check('data stores: Retain on delete and on replace', () => {
  const stores = Object.entries(R).filter(([, r]) => ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::SQS::Queue'].includes(r.Type));
  for (const [id, r] of stores) {
    assert(r.DeletionPolicy === 'Retain' && r.UpdateReplacePolicy === 'Retain', `${id}: ${r.DeletionPolicy}/${r.UpdateReplacePolicy}`);
  }
  return stores.map(([id]) => id).join(', ');
});

check('jobs queue: redrive to the DLQ with MaxReceiveCount, same value as IMAGERY_MAX_RECEIVE_COUNT; DLQ keeps 14 days', () => {
  const [id, q] = ofType('AWS::SQS::Queue').find(([, x]) => x.Properties.RedrivePolicy);
  const rp = q.Properties.RedrivePolicy;
  const dlqId = rp.deadLetterTargetArn['Fn::GetAtt'][0];
  assert(R[dlqId].Properties.MessageRetentionPeriod === 1209600, 'DLQ retention');
  for (const [sid, s] of services) {
    assert(JSON.stringify(containerOf(s).Environment.find((e) => e.Name === 'IMAGERY_MAX_RECEIVE_COUNT')?.Value)
      === JSON.stringify(rp.maxReceiveCount), `${sid} IMAGERY_MAX_RECEIVE_COUNT differs from the redrive policy`);
  }
  return `${id} -> ${dlqId} after ${value(rp.maxReceiveCount)}`;
});

check('retention: IMAGERY_RETENTION_DAYS = RetentionDays on both services, table TTL on expiresAt, raw/ and processed/ expire after RetentionDays', () => {
  for (const [sid, s] of services) {
    const e = (containerOf(s).Environment ?? []).find((x) => x.Name === 'IMAGERY_RETENTION_DAYS');
    assert(e && e.Value?.Ref === 'RetentionDays', `${sid}: IMAGERY_RETENTION_DAYS is not !Ref RetentionDays`);
  }
  const [, table] = one('AWS::DynamoDB::Table');
  const ttl = table.Properties.TimeToLiveSpecification;
  assert(ttl?.Enabled === true && ttl.AttributeName === 'expiresAt', `table TTL ${JSON.stringify(ttl)}`);
  const [, bucket] = one('AWS::S3::Bucket');
  const rules = bucket.Properties.LifecycleConfiguration.Rules
    .map((r) => (r['Fn::If'] ? { condition: r['Fn::If'][0], ...r['Fn::If'][1] } : r));
  for (const prefix of ['raw/', 'processed/']) {
    const rule = rules.find((r) => r.Prefix === prefix);
    assert(rule, `no lifecycle rule for ${prefix}`);
    assert(rule.ExpirationInDays?.Ref === 'RetentionDays' && rule.Status === 'Enabled',
      `${prefix} rule: ${JSON.stringify(rule)}`);
    assert(rule.condition === 'RetentionOn', `${prefix} rule is not conditional on RetentionOn (0 days is refused by S3)`);
  }
  assert(P.RetentionDays?.Default === 0 && P.RetentionDays?.MinValue === 0, 'RetentionDays: default and minimum 0 (keep)');
  return 'expiresAt; expire-raw, expire-processed';
});

console.log(`design: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
