/**
 * The bench's own small client of the server's public HTTP contract (shared/api-contract.md):
 * set-up (users, fixtures) and the ground truth the checks compare terminals against.
 */
import type { AnyRow, CollectionName, Role } from '../../shared/domain/collections';
import type { Mutation, PushResponse } from '../../shared/sync/protocol';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}

export class ClinicHttp {
  constructor(
    readonly baseUrl: string,
    private token: string | null = null,
  ) {}

  get accessToken(): string | null {
    return this.token;
  }

  static async login(baseUrl: string, username: string, password: string): Promise<ClinicHttp> {
    const client = new ClinicHttp(baseUrl);
    const body = (await client.request('POST', '/api/auth/login', { username, password })) as { accessToken: string };
    client.token = body.accessToken;
    return client;
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? null : JSON.parse(text);
    if (!response.ok) throw new HttpError(response.status, parsed, `${method} ${path}`);
    return parsed;
  }

  async createUser(username: string, role: Role, password: string): Promise<AnyRow> {
    return (await this.request('POST', '/api/users', { username, displayName: username, role, password })) as AnyRow;
  }

  async list(collection: CollectionName): Promise<AnyRow[]> {
    return (await this.request('GET', `/api/${collection}`)) as AnyRow[];
  }

  async create(collection: CollectionName, data: Record<string, unknown>): Promise<AnyRow> {
    return (await this.request('POST', `/api/${collection}`, data)) as AnyRow;
  }

  async push(clientId: string, mutations: Mutation[]): Promise<PushResponse> {
    return (await this.request('POST', '/api/sync/push', { clientId, mutations })) as PushResponse;
  }
}
