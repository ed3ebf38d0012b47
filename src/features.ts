// Feature modules that register routes or hooks at import time (JWKS, outbox, hosted UI ...).
// One import a feature; the order does not matter.
export {};
import './http/outbox.ts';
import './http/metrics.ts';
import './http/well-known.ts';
import './http/identity-well-known.ts';
import './http/confirm-user.ts';
import './http/auth-event-feedback.ts';
import './http/ui-assets.ts';
import './gateway/revocation-route.ts';
import './hosted-ui/routes.ts';
import './http/import-upload.ts';
import './console/routes.ts';
