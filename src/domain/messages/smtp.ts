import type { Transporter } from 'nodemailer';
import type { SmtpConfig } from '../../config.ts';
import type { OutgoingMessage } from './messenger.ts';

/** Sends emails through an SMTP server (nodemailer, one pooled transport per server). */
export class SmtpTarget {
  // nodemailer is loaded with the first email, not at start (it costs ~0.3 s to load).
  private transport: Promise<Transporter> | undefined;

  constructor(private readonly config: SmtpConfig) {}

  private transporter(): Promise<Transporter> {
    const config = this.config;
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: config.host,
        port: config.port,
        secure: config.secure,
        auth: config.user ? { user: config.user, pass: config.pass ?? '' } : undefined,
        // A stuck server must not hold a request open: Cognito answers within seconds.
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 15_000,
      }),
    );
    return this.transport;
  }

  /** Returns the server's message id. */
  async send(m: OutgoingMessage): Promise<string> {
    const looksHtml = /<[a-z][\s\S]*>/i.test(m.body);
    const info = await (await this.transporter()).sendMail({
      from: this.config.from,
      to: m.destination,
      subject: m.subject ?? '',
      text: looksHtml ? m.body.replace(/<a\s[^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/gis, '$2: $1').replace(/<[^>]+>/g, '') : m.body,
      ...(looksHtml ? { html: m.body } : {}),
      headers: { 'X-Tobira-Kind': m.kind },
    });
    return info.messageId;
  }

  close(): void {
    void this.transport?.then((t) => t.close());
  }
}
