/** parseScansion: the header extensions, clients, steps with their lines, and syntax errors that name the line. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScansion, ScansionSyntaxError } from '../../lib/testing/index.js';

const SCRIPT = [
  '# Title of the script',
  '# Longer description.',
  '# modules: offline, motd',
  '# config: {"motd_text": "hi", "VirtualHost": {"localhost": {"x": 1}}}',
  '## a comment, not the description',
  '',
  '[Client] Romeo',
  '\tjid: romeo@localhost/garden',
  '\tpassword: secret',
  '',
  '[Client] Juliet',
  '\tjid: juliet@localhost',
  '\tmechanism: PLAIN',
  '',
  '-----',
  '',
  'Romeo connects',
  '# a comment between steps',
  'Romeo sends:',
  '\t<message to="${Juliet\'s JID}">',
  '',
  '\t\t<body>hi</body>',
  '\t</message>',
  'Juliet receives: nothing',
  'Romeo disconnects',
].join('\n');

describe('parseScansion', () => {
  it('reads the header, the clients and the steps with their line numbers', () => {
    const s = parseScansion(SCRIPT, 'x.scs');
    assert.equal(s.title, 'Title of the script');
    assert.deepEqual(s.description, ['Longer description.']);
    assert.deepEqual(s.modules, ['offline', 'motd']);
    assert.deepEqual(s.config, { motd_text: 'hi', VirtualHost: { localhost: { x: 1 } } });
    assert.deepEqual(s.clients, [
      { name: 'Romeo', jid: 'romeo@localhost/garden', password: 'secret', mechanism: undefined, line: 7 },
      { name: 'Juliet', jid: 'juliet@localhost', password: 'password', mechanism: 'PLAIN', line: 11 },
    ]);
    assert.deepEqual(s.steps.map((st) => [st.kind, st.client, st.line]), [
      ['connects', 'Romeo', 17], ['sends', 'Romeo', 19], ['nothing', 'Juliet', 24], ['disconnects', 'Romeo', 25],
    ]);
    const sends = s.steps[1]!;
    assert.ok(sends.kind === 'sends' && sends.xml.includes('<body>hi</body>') && sends.xml.includes('</message>'));
  });

  it('accepts CRLF line ends and XML on the action line', () => {
    const s = parseScansion('[Client] A\r\n\tjid: a@localhost\r\nA connects\r\nA sends: <presence/>\r\n');
    assert.deepEqual(s.steps.map((st) => st.kind), ['connects', 'sends']);
    assert.equal((s.steps[1] as { xml: string }).xml, '<presence/>');
  });

  const errors: Array<[string, string, number, RegExp]> = [
    ['unknown client', '[Client] A\n\tjid: a@localhost\nB connects\n', 3, /no \[Client\] named 'B' \(declared: A\)/],
    ['unknown verb', '[Client] A\n\tjid: a@localhost\nA jumps\n', 3, /expected "\[Client\] Name" or "<Name> connects/],
    ['unknown object', '[Component] C\n', 1, /unknown object type \[Component\]/],
    ['unknown property', '[Client] A\n\tjid: a@localhost\n\tcolour: red\n', 3, /unknown \[Client\] property 'colour'/],
    ['missing jid', '[Client] A\n\tpassword: x\n', 1, /has no jid/],
    ['bad jid', '[Client] A\n\tjid: nobody\n', 1, /is not user@host/],
    ['sends without XML', '[Client] A\n\tjid: a@localhost\nA sends:\nA connects\n', 3, /needs XML/],
    ['bad config JSON', '# t\n# config: {nope}\n', 2, /# config: is not valid JSON/],
    ['stray indented line', '[Client] A\n\tjid: a@localhost\nA connects\n\n\t<presence/>\n', 5, /unexpected indented line/],
    ['malformed XML', '[Client] A\n\tjid: a@localhost\nA connects\nA sends:\n\t<message><body>hi</message>\n', 4, /the XML of 'A sends:' is not well-formed/],
    ['duplicate client', '[Client] A\n\tjid: a@localhost\n[Client] A\n\tjid: b@localhost\n', 3, /declared twice/],
  ];
  for (const [what, text, line, message] of errors) {
    it(`rejects ${what} with its line number`, () => {
      assert.throws(() => parseScansion(text, 'bad.scs'), (err: unknown) => {
        assert.ok(err instanceof ScansionSyntaxError);
        assert.equal(err.line, line);
        assert.match(err.message, new RegExp(`^bad\\.scs:${line}: `));
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
