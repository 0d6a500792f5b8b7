// Shared by the otel integration tests.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

type OtlpAttribute = { key: string; value: { stringValue?: string; intValue?: string | number; doubleValue?: number } };
type OtlpPoint = { attributes?: OtlpAttribute[]; asDouble?: number; asInt?: string | number; count?: string | number; sum?: number };
type OtlpMetric = { name: string; unit?: string; sum?: { dataPoints: OtlpPoint[] }; gauge?: { dataPoints: OtlpPoint[] }; histogram?: { dataPoints: OtlpPoint[] } };
export interface OtlpBody {
  resourceMetrics?: Array<{ resource: { attributes: OtlpAttribute[] }; scopeMetrics: Array<{ scope?: { name?: string }; metrics: OtlpMetric[] }> }>;
  resourceSpans?: Array<{ scopeSpans: Array<{ scope?: { name?: string }; spans: Array<{ name: string; parentSpanId?: string; traceId?: string; spanId?: string; attributes: OtlpAttribute[] }> }> }>;
  resourceLogs?: Array<{ scopeLogs: Array<{ scope?: { name?: string }; logRecords: Array<{ body: { stringValue?: string }; attributes: OtlpAttribute[] }> }> }>;
}

/** A point's attributes as plain values. */
export function attributesOf(p: { attributes?: OtlpAttribute[] }): Record<string, string | number | undefined> {
  const out: Record<string, string | number | undefined> = {};
  for (const a of p.attributes ?? []) out[a.key] = a.value.stringValue ?? (a.value.intValue !== undefined ? Number(a.value.intValue) : a.value.doubleValue);
  return out;
}

/** An OTLP/HTTP (JSON) receiver on a loopback port: what it got, by path. */
export async function otlpReceiver(): Promise<{
  port: number;
  bodies: Record<'/v1/metrics' | '/v1/traces' | '/v1/logs', OtlpBody[]>;
  headers: string[];
  /** Every metric of the asyncdebug scope received, in order (a name may come once per export). */
  metrics(): OtlpMetric[];
  spans(): NonNullable<OtlpBody['resourceSpans']>[number]['scopeSpans'][number]['spans'];
  logs(): NonNullable<OtlpBody['resourceLogs']>[number]['scopeLogs'][number]['logRecords'];
  close(): void;
}> {
  const bodies: Record<'/v1/metrics' | '/v1/traces' | '/v1/logs', OtlpBody[]> = { '/v1/metrics': [], '/v1/traces': [], '/v1/logs': [] };
  const headers: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      headers.push(String(req.headers['x-test'] ?? ''));
      try {
        bodies[req.url as keyof typeof bodies]?.push(JSON.parse(body) as OtlpBody);
      } catch {
        // not JSON: not counted
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const ours = (s: { scope?: { name?: string } }) => s.scope?.name === 'asyncdebug';
  return {
    port: (server.address() as AddressInfo).port,
    bodies,
    headers,
    metrics: () => bodies['/v1/metrics'].flatMap((b) => b.resourceMetrics ?? []).flatMap((r) => r.scopeMetrics).filter(ours).flatMap((s) => s.metrics),
    spans: () => bodies['/v1/traces'].flatMap((b) => b.resourceSpans ?? []).flatMap((r) => r.scopeSpans).filter(ours).flatMap((s) => s.spans),
    logs: () => bodies['/v1/logs'].flatMap((b) => b.resourceLogs ?? []).flatMap((r) => r.scopeLogs).filter(ours).flatMap((s) => s.logRecords),
    close: () => server.close(),
  };
}

/** The last value each series of a counter or gauge had, by its attributes (JSON). */
export function lastValues(metrics: OtlpMetric[], name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of metrics.filter((x) => x.name === name)) {
    for (const p of (m.sum ?? m.gauge)?.dataPoints ?? []) out.set(JSON.stringify(attributesOf(p)), Number(p.asDouble ?? p.asInt));
  }
  return out;
}
