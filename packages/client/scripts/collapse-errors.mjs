// An esbuild plugin for the minified browser bundles: every ProtocolError message becomes its
// stable code (`SB_ERR_…`), the way React's production build swaps error messages for codes.
// Codes are the contract, messages are not; the Node build (tsc's dist/) keeps full messages.
// It rewrites the protocol package's compiled JS, found by syntax (TypeScript's parser):
// - `new ProtocolError(code, message[, options])` → `new ProtocolError(code[, 0, options])`, and
//   the class passes `code` as the message to `Error`;
// - inside a `throw`, `new TypeError("…")` → `new TypeError()` (option validation), and
//   string arguments of helper calls (`throw fail(code, "…")`,
//   `throw invalid("…")`) are dropped (a trailing one) or emptied (one before a `cause`).
// Line breaks are kept, so source maps still point at the right lines.
import { readFile } from "node:fs/promises";
import ts from "typescript";

function isText(node) {
  return (
    ts.isStringLiteral(node) ||
    ts.isNoSubstitutionTemplateLiteral(node) ||
    ts.isTemplateExpression(node)
  );
}

/** The compiled JS `source` with ProtocolError messages collapsed to codes. */
export function collapseErrorMessages(source, fileName) {
  const file = ts.createSourceFile(
    fileName,
    source,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.JS,
  );
  const edits = [];
  const replace = (start, end, text) => edits.push({ start, end, text });
  const visit = (node, inThrow) => {
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "ProtocolError" &&
      node.arguments !== undefined &&
      node.arguments.length >= 2
    ) {
      const [code, message, options] = node.arguments;
      if (options === undefined) replace(code.getEnd(), message.getEnd(), "");
      else replace(message.getStart(file), message.getEnd(), "0");
      for (const arg of node.arguments) if (arg !== message) visit(arg, inThrow);
      return;
    }
    // the class itself: `super(message, options)` → `super(code, options)`
    if (
      ts.isConstructorDeclaration(node) &&
      ts.isClassDeclaration(node.parent) &&
      node.parent.name?.text === "ProtocolError"
    ) {
      const superCall = node.body?.statements
        .map((statement) => ts.isExpressionStatement(statement) && statement.expression)
        .find(
          (e) => e && ts.isCallExpression(e) && e.expression.kind === ts.SyntaxKind.SuperKeyword,
        );
      const [code, message] = node.parameters;
      const first = superCall?.arguments[0];
      if (!first || first.getText(file) !== message?.name.getText(file)) {
        throw new Error(`${fileName}: ProtocolError no longer calls super(message, …)`);
      }
      replace(first.getStart(file), first.getEnd(), code.name.getText(file));
      return;
    }
    // option validation (decoder limits; the client never passes any): a bare TypeError
    if (
      inThrow &&
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "TypeError" &&
      node.arguments?.length === 1 &&
      isText(node.arguments[0])
    ) {
      replace(node.arguments[0].getStart(file), node.arguments[0].getEnd(), "");
      return;
    }
    if (inThrow && ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const args = node.arguments;
      args.forEach((arg, i) => {
        if (!isText(arg)) return;
        if (i < args.length - 1) replace(arg.getStart(file), arg.getEnd(), '""');
        else replace(i === 0 ? arg.getStart(file) : args[i - 1].getEnd(), arg.getEnd(), "");
      });
    }
    ts.forEachChild(node, (child) => visit(child, inThrow || ts.isThrowStatement(node)));
  };
  visit(file, false);
  let out = source;
  for (const { start, end, text } of edits.sort((a, b) => b.start - a.start)) {
    const lineBreaks = out.slice(start, end).split("\n").length - 1;
    out = out.slice(0, start) + text + "\n".repeat(lineBreaks) + out.slice(end);
  }
  return out;
}

/** Applies {@link collapseErrorMessages} to the protocol package's compiled files. */
export const collapseErrorsPlugin = {
  name: "collapse-protocol-errors",
  setup(build) {
    build.onLoad({ filter: /[\\/]protocol[\\/]dist[\\/].*\.js$/ }, async ({ path }) => ({
      contents: collapseErrorMessages(await readFile(path, "utf8"), path),
      loader: "js",
    }));
  },
};
