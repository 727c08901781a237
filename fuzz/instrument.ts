/**
 * Coverage instrumentation for the fuzzer: a require hook that rewrites the compiled JavaScript
 * of chosen modules so every basic block bumps one counter in a shared Uint8Array. Rewriting is
 * done with the TypeScript compiler API (already a dependency): parse as JS, insert
 * `__fzc[N]++` at each block entry, print. Each block gets its own index, so there are no hash
 * collisions; indices are handed out in load order, and `siteCount()` says how many exist.
 */
import * as fs from 'fs';
import * as path from 'path';
import Module = require('module');
import * as ts from 'typescript';

/** Most instrumented blocks across every loaded module. */
export const MAX_SITES = 1 << 16;
/** The hit counters: one octet per block, bumped by instrumented code, cleared by the fuzzer. */
export const counters = new Uint8Array(MAX_SITES);
let nextSite = 0;
const GLOBAL_NAME = '__fzc';

/** Where each block is: its module (index into `siteFiles`) and position in the compiled JS. */
const siteFile = new Int32Array(MAX_SITES);
const sitePos = new Int32Array(MAX_SITES);
const siteFiles: { file: string; source: ts.SourceFile }[] = [];
/** The module and node being instrumented (set by the transformer before it adds counters). */
let currentFile = -1;
let currentSource: ts.SourceFile | undefined;
let currentPos = 0;

/** How many blocks the loaded modules hold (counters beyond this stay 0). */
export function siteCount(): number {
  return nextSite;
}

function bump(f: ts.NodeFactory): ts.Expression {
  const id = nextSite < MAX_SITES ? nextSite++ : MAX_SITES - 1;
  siteFile[id] = currentFile;
  sitePos[id] = currentPos;
  return f.createPostfixIncrement(f.createElementAccessExpression(f.createIdentifier(GLOBAL_NAME), id));
}

function bumpStatement(f: ts.NodeFactory): ts.Statement {
  return f.createExpressionStatement(bump(f));
}

/** `(__fzc[N]++, expr)`: counts the evaluation of a branch that is an expression. */
function counted(f: ts.NodeFactory, e: ts.Expression): ts.Expression {
  return f.createParenthesizedExpression(f.createCommaListExpression([bump(f), e]));
}

/** A block that counts, then runs `s` (a statement or block). */
function countedBlock(f: ts.NodeFactory, s: ts.Statement | undefined): ts.Block {
  if (s === undefined) return f.createBlock([bumpStatement(f)], true);
  if (ts.isBlock(s)) return f.updateBlock(s, [bumpStatement(f), ...s.statements]);
  return f.createBlock([bumpStatement(f), s], true);
}

function transformer(ctx: ts.TransformationContext): ts.Transformer<ts.SourceFile> {
  const f = ctx.factory;
  const visit = (node: ts.Node): ts.Node => {
    const n = ts.visitEachChild(node, visit, ctx);
    if (node.pos >= 0 && currentSource) currentPos = node.getStart(currentSource);
    if (ts.isIfStatement(n)) {
      return f.updateIfStatement(
        n,
        n.expression,
        countedBlock(f, n.thenStatement),
        n.elseStatement && ts.isIfStatement(n.elseStatement) ? n.elseStatement : countedBlock(f, n.elseStatement),
      );
    }
    if (ts.isConditionalExpression(n)) {
      return f.updateConditionalExpression(n, n.condition, n.questionToken, counted(f, n.whenTrue), n.colonToken, counted(f, n.whenFalse));
    }
    if (ts.isBinaryExpression(n)) {
      const k = n.operatorToken.kind;
      if (k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken || k === ts.SyntaxKind.QuestionQuestionToken) {
        return f.updateBinaryExpression(n, n.left, n.operatorToken, counted(f, n.right));
      }
      return n;
    }
    if (ts.isCaseClause(n)) return f.updateCaseClause(n, n.expression, [bumpStatement(f), ...n.statements]);
    if (ts.isDefaultClause(n)) return f.updateDefaultClause(n, [bumpStatement(f), ...n.statements]);
    if (ts.isForStatement(n)) return f.updateForStatement(n, n.initializer, n.condition, n.incrementor, countedBlock(f, n.statement));
    if (ts.isForOfStatement(n))
      return f.updateForOfStatement(n, n.awaitModifier, n.initializer, n.expression, countedBlock(f, n.statement));
    if (ts.isForInStatement(n)) return f.updateForInStatement(n, n.initializer, n.expression, countedBlock(f, n.statement));
    if (ts.isWhileStatement(n)) return f.updateWhileStatement(n, n.expression, countedBlock(f, n.statement));
    if (ts.isDoStatement(n)) return f.updateDoStatement(n, countedBlock(f, n.statement), n.expression);
    if (ts.isCatchClause(n)) return f.updateCatchClause(n, n.variableDeclaration, countedBlock(f, n.block));
    if (ts.isFunctionDeclaration(n) && n.body) {
      return f.updateFunctionDeclaration(
        n,
        n.modifiers,
        n.asteriskToken,
        n.name,
        n.typeParameters,
        n.parameters,
        n.type,
        countedBlock(f, n.body),
      );
    }
    if (ts.isFunctionExpression(n)) {
      return f.updateFunctionExpression(
        n,
        n.modifiers,
        n.asteriskToken,
        n.name,
        n.typeParameters,
        n.parameters,
        n.type,
        countedBlock(f, n.body),
      );
    }
    if (ts.isArrowFunction(n)) {
      const body = ts.isBlock(n.body) ? countedBlock(f, n.body) : counted(f, n.body);
      return f.updateArrowFunction(n, n.modifiers, n.typeParameters, n.parameters, n.type, n.equalsGreaterThanToken, body);
    }
    if (ts.isMethodDeclaration(n) && n.body) {
      return f.updateMethodDeclaration(
        n,
        n.modifiers,
        n.asteriskToken,
        n.name,
        n.questionToken,
        n.typeParameters,
        n.parameters,
        n.type,
        countedBlock(f, n.body),
      );
    }
    if (ts.isConstructorDeclaration(n) && n.body) {
      // A derived constructor must call super() before anything touches `this`; a counter
      // statement does not, so it may go first.
      return f.updateConstructorDeclaration(n, n.modifiers, n.parameters, countedBlock(f, n.body));
    }
    if (ts.isGetAccessorDeclaration(n) && n.body) {
      return f.updateGetAccessorDeclaration(n, n.modifiers, n.name, n.parameters, n.type, countedBlock(f, n.body));
    }
    if (ts.isSetAccessorDeclaration(n) && n.body) {
      return f.updateSetAccessorDeclaration(n, n.modifiers, n.name, n.parameters, countedBlock(f, n.body));
    }
    return n;
  };
  return (sf) => {
    const out = ts.visitEachChild(sf, visit, ctx);
    // `var __fzc = globalThis.__fzc;` after the directive prologue ("use strict" must stay first).
    let k = 0;
    while (
      k < out.statements.length &&
      ts.isExpressionStatement(out.statements[k]) &&
      ts.isStringLiteral((out.statements[k] as ts.ExpressionStatement).expression)
    )
      k++;
    const decl = f.createVariableStatement(
      undefined,
      f.createVariableDeclarationList(
        [
          f.createVariableDeclaration(
            GLOBAL_NAME,
            undefined,
            undefined,
            f.createPropertyAccessExpression(f.createIdentifier('globalThis'), GLOBAL_NAME),
          ),
        ],
        ts.NodeFlags.None,
      ),
    );
    return f.updateSourceFile(out, [...out.statements.slice(0, k), decl, ...out.statements.slice(k)]);
  };
}

/** Instrument one module's JavaScript source. */
export function instrumentSource(source: string, fileName: string): string {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  currentFile = siteFiles.push({ file: fileName, source: sf }) - 1;
  currentSource = sf;
  const result = ts.transform(sf, [transformer]);
  const text = ts.createPrinter({ removeComments: true }).printFile(result.transformed[0]);
  result.dispose();
  return text;
}

/**
 * The source lines (TypeScript, through the build's source maps where present) of the blocks
 * that `reached` (one octet per block, non-zero when reached) says were never reached, as
 * `file: line line ...`, one line per file.
 */
export function unreachedLines(reached: Uint8Array): string[] {
  const byFile = new Map<string, Set<number>>();
  const maps = new Map<number, Module.SourceMap | null>();
  for (let id = 0; id < nextSite; id++) {
    if (reached[id] !== 0) continue;
    const fi = siteFile[id];
    const { file, source } = siteFiles[fi];
    if (!maps.has(fi)) {
      let map: Module.SourceMap | null = null;
      try {
        map = new Module.SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
      } catch {
        map = null;
      }
      maps.set(fi, map);
    }
    const at = ts.getLineAndCharacterOfPosition(source, sitePos[id]);
    const entry = maps.get(fi)?.findEntry(at.line, at.character) as { originalSource?: string; originalLine?: number } | undefined;
    const where = entry?.originalSource ? path.resolve(path.dirname(file), entry.originalSource.replace(/^file:\/\//, '')) : file;
    const line = entry?.originalSource ? (entry.originalLine ?? 0) + 1 : at.line + 1;
    if (!byFile.has(where)) byFile.set(where, new Set());
    byFile.get(where)!.add(line);
  }
  return [...byFile].map(([file, lines]) => `${file}: ${[...lines].sort((a, b) => a - b).join(' ')}`);
}

/**
 * From now on, every module whose absolute path `include` accepts is instrumented as it is
 * loaded. Call before the modules are first required.
 */
export function installHook(include: (file: string) => boolean): void {
  (globalThis as Record<string, unknown>)[GLOBAL_NAME] = counters;
  type Loader = (m: NodeJS.Module, file: string) => void;
  const exts = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
  const original = exts['.js'];
  exts['.js'] = (m, file) => {
    if (!include(file)) return original(m, file);
    const code = instrumentSource(fs.readFileSync(file, 'utf8'), file);
    (m as unknown as { _compile(code: string, file: string): void })._compile(code, file);
  };
}
