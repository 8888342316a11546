/**
 * Compile-only test (`tsc -p spec/types`, run by `npm test` after the build): a module written
 * outside the package, importing `xmpp-server-core/api` exactly as a third party does, adds a
 * typed event and a typed service in the one documented way, and the compiler holds it to them.
 * Each `@ts-expect-error` line must fail to compile, or this file fails.
 */
import { defineModule, option, xml, type Session } from 'xmpp-server-core/api';
import type { WebSocketSessionEvent } from 'xmpp-server-core/websocket';
import type { HttpApp } from 'xmpp-server-core/http';

declare module 'xmpp-server-core/api' {
  interface Events {
    'greeting/sent': { readonly session: Session; readonly to: string };
  }
  interface Items {
    greeter: { greet(session: Session, to: string): void };
  }
}

export default defineModule({
  name: 'greeter',
  events: ['greeting/*'],
  options: { greeting_text: option.string({ default: 'hello', doc: 'What the greeter says.' }) },
  load(module) {
    const text: string = module.options.greeting_text;
    module.provides('greeter', {
      greet(session, to) {
        session.send(xml('message', { to }, xml('body', {}, text)));
        module.fire('greeting/sent', { session, to });
      },
    });
    module.hook('greeting/sent', ({ to, session }) => { module.log.info({ to, from: session.fullJid }, 'greeted'); });
    module.hook('resource-bind', ({ session }) => { module.service('greeter')?.greet(session, session.bareJid ?? ''); });
    module.hook('websocket-session', ({ request }: WebSocketSessionEvent) => (request.secure ? undefined : false));
    const app: HttpApp = { name: 'greeter', route: { GET: () => `<p>${text}</p>` } };
    module.provides('http', app);

    // @ts-expect-error a misspelt event name does not compile
    module.hook('greting/sent', () => undefined);
    // @ts-expect-error the payload of a declared event is typed
    module.fire('greeting/sent', { to: 42 });
    // @ts-expect-error a declared item kind is typed
    module.provides('greeter', { greet: 'not a function' });
    // @ts-expect-error the transport's inputs are not part of a module's Session
    module.hook('resource-bind', ({ session }) => { session.streamOpened({}); });
    // @ts-expect-error module internals are not part of the API
    void module.dispose();
  },
});

export const globalModule = defineModule({
  name: 'counter',
  global: true,
  load() {
    return { count: 0 };
  },
  addHost(module, state) {
    state.count += 1;
    // @ts-expect-error the global state is typed by what load() returned
    state.missing = true;
    module.log.info({ hosts: state.count }, 'host added');
  },
});
