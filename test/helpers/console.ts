/** A console user over plain fetch: a cookie jar and fixed extra headers (a proxy's X-Forwarded-For, a Bearer token). */
export class Client {
  cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  get(path: string, extra: Record<string, string> = {}) {
    return this.send(path, { method: 'GET', headers: extra });
  }

  post(path: string, form: Record<string, string>, extra: Record<string, string> = {}) {
    return this.send(path, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...extra } });
  }

  /** Posts one action of a page as its form would: the page first, for its CSRF token. */
  async act(path: string, action: string, fields: Record<string, string> = {}) {
    const page = await this.get(path);
    return this.post(path, { _csrf: csrfOf(page.text), _action: action, ...fields });
  }

  private async send(path: string, init: { method: string; body?: string; headers?: Record<string, string> }) {
    const cookie: Record<string, string> = this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
    const res = await fetch(new URL(path, this.base), { ...init, redirect: 'manual', headers: { ...this.headers, ...cookie, ...init.headers } });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      if (attrs.some((a) => /max-age=0/i.test(a.trim()))) this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return { status: res.status, location: res.headers.get('location'), headers: res.headers, text: await res.text() };
  }
}

/** The CSRF token of a console page's forms. */
export const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

/** The Cognito error a console page shows, as text (for assertion messages). */
export const errorOf = (page: string) => /<div class="error" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(page)?.[1]?.replace(/<[^>]+>/g, '');

/** Asserts an action succeeded (the page again, with its notice), naming the error when it did not. */
export function assertDone(res: { status: number; text: string }): void {
  if (res.status !== 200 || !/role="status"/.test(res.text)) throw new Error(`the action failed (${res.status}): ${errorOf(res.text) ?? res.text.slice(0, 300)}`);
}
