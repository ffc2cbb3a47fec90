import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for free5GC's webconsole (CI cannot fetch it), for the calls `free5gc.sh` makes. It answers
 * as free5gc/webconsole's backend/WebUI handlers do (api_webui.go: AuthMiddleware, Login,
 * PostSubscriberByID), read at commit 1b916d227eabdf55b5478cd5c4b2efdf1077b33a; the check against upstream's
 * own code is issue 19's real check, kept outside the repository (it builds upstream code). One deliberate
 * difference: a body whose top-level keys are not exactly SubsData's is refused here, where upstream drops
 * unknown keys silently.
 */

/** SubsData's json keys: read from webconsole backend/WebUI/model_subs_data.go at 1b916d227eabdf55b5478cd5c4b2efdf1077b33a. */
export const SUBS_DATA_KEYS = [
  'plmnID',
  'ueId',
  'AuthenticationSubscription',
  'AccessAndMobilitySubscriptionData',
  'SessionManagementSubscriptionData',
  'SmfSelectionSubscriptionData',
  'AmPolicyData',
  'SmPolicyData',
  'FlowRules',
  'QosFlows',
  'ChargingDatas',
] as const;

/** SetAdmin's account: the webconsole (re)creates it at every start. */
export const DEFAULT_USER = 'admin';
export const DEFAULT_PASSWORD = 'free5gc';

export interface WebconsoleStandin {
  url: string;
  /** what was added, by the SUPI it is stored under */
  subscribers: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

type Answer = [status: number, body: object];

export async function startWebconsoleStandin(): Promise<WebconsoleStandin> {
  const tokens = new Set<string>();
  const subscribers = new Map<string, Record<string, unknown>>();
  const msisdnOwner = new Map<string, string>();

  const login = (text: string): Answer => {
    const body = parseJson(text);
    // Login decodes into LoginRequest: anything not an object is a decode error, answered 500 {}
    if (!isObject(body)) return [500, {}];
    if (body.username !== DEFAULT_USER || body.password !== DEFAULT_PASSWORD) return [403, {}];
    const token = randomBytes(24).toString('base64url');
    tokens.add(token);
    return [200, { access_token: token, refresh_token: '', token_type: '', expires_in: 0 }];
  };

  const postSubscriber = (ueIdParam: string, text: string): Answer => {
    const body = parseJson(text);
    // ShouldBindJSON into SubsData: an array or broken JSON is 400
    if (!isObject(body)) return [400, { cause: 'JSON format incorrect' }];
    const keys = Object.keys(body).sort();
    if (keys.join() !== [...SUBS_DATA_KEYS].sort().join()) return [400, { cause: `stand-in: top-level keys ${keys.join()} are not SubsData's` }];
    const digits = ueIdParam.split('-')[1];
    if (digits === undefined) return [500, {}]; // strings.Split(ueId, "-")[1] panics
    if (!/^\d+$/.test(digits)) return [400, { cause: 'ueId format incorrect' }];
    // getMsisdn(toBsonM(AccessAndMobilitySubscriptionData)["gpsis"]): no gpsis panics, and gpsis[0] is written
    const am = body.AccessAndMobilitySubscriptionData;
    const gpsis = isObject(am) ? am.gpsis : undefined;
    if (!Array.isArray(gpsis) || gpsis.length === 0 || !gpsis.every((g) => typeof g === 'string')) return [500, {}];
    const gpsi = [...(gpsis as string[])].reverse().find((g) => g.startsWith('msisdn-')) ?? ''; // the last one wins
    if (gpsi.length > 7 && !/^\d+$/.test(gpsi.slice(7))) return [400, { cause: 'gpsi format incorrect (now only support MSISDN format)' }];
    const ueId = `imsi-${BigInt(digits).toString().padStart(15, '0')}`;
    if (gpsi !== '' && gpsi !== 'msisdn-' && (msisdnOwner.get(gpsi) ?? ueId) !== ueId) return [400, { cause: 'duplicate gpsi' }];
    if (subscribers.has(ueId)) return [409, { cause: `${ueId} already exists` }];
    if (gpsi !== '') msisdnOwner.set(gpsi, ueId);
    subscribers.set(ueId, body);
    return [201, {}];
  };

  const route = (req: IncomingMessage, text: string): Answer => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === '/api/login') return login(text);
    // AuthMiddleware: every other /api call needs the login's access_token in the Token header
    const token = req.headers.token;
    if (typeof token !== 'string' || !tokens.has(token)) return [401, { cause: 'Illegal Token' }];
    const m = /^\/api\/subscriber\/([^/]+)\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && m) return postSubscriber(decodeURIComponent(m[1]!), text);
    return [404, {}];
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [status, body] = route(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    subscribers,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
