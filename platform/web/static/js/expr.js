// A small, safe evaluator for the simple part of Cardfile's expression language, used on
// the card to update computed columns and conditional visibility as the user types.
// It understands numbers, text, yes/no, field names, + - * / %, comparisons, and/or/not,
// parentheses and round/abs/min/max/if. Anything else raises Unsupported, and the page
// then keeps the value the server computed (the server is always the authority).

export class Unsupported extends Error {}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|[-+*/%<>(),]))/y;

function tokenize(source) {
  const tokens = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < source.length) {
    if (/^\s*$/.test(source.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(source);
    if (!m) throw new Unsupported(`cannot read at ${pos}`);
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: "num", value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: "str", value: m[2].slice(1, -1).replace(/\\(.)/g, "$1") });
    else if (m[3] !== undefined) tokens.push({ kind: "name", value: m[3] });
    else tokens.push({ kind: "op", value: m[4] });
  }
  return tokens;
}

const FUNCTIONS = {
  round: (x, n = 0) => { const f = 10 ** n; return Math.round(num(x) * f) / f; },
  abs: (x) => Math.abs(num(x)),
  min: (...xs) => Math.min(...xs.map(num)),
  max: (...xs) => Math.max(...xs.map(num)),
};

function num(x) {
  if (x === null || x === undefined || x === "") return 0;
  const n = Number(x);
  if (Number.isNaN(n)) throw new Unsupported("not a number");
  return n;
}

function compile(source) {
  const tokens = tokenize(source);
  let i = 0;
  const peek = () => tokens[i];
  const take = (value) => {
    const tok = tokens[i];
    if (value !== undefined && (!tok || tok.value !== value)) throw new Unsupported(`expected ${value}`);
    i += 1;
    return tok;
  };
  const isOp = (...values) => peek() && (peek().kind === "op" || peek().kind === "name") && values.includes(peek().value);

  function orExpr() {
    let left = andExpr();
    while (isOp("or")) { take(); const a = left, b = andExpr(); left = (env) => truthy(a(env)) || truthy(b(env)); }
    return left;
  }
  function andExpr() {
    let left = notExpr();
    while (isOp("and")) { take(); const a = left, b = notExpr(); left = (env) => truthy(a(env)) && truthy(b(env)); }
    return left;
  }
  function notExpr() {
    if (isOp("not")) { take(); const a = notExpr(); return (env) => !truthy(a(env)); }
    return comparison();
  }
  function comparison() {
    let left = sum();
    while (isOp("==", "!=", "<", "<=", ">", ">=")) {
      const op = take().value; const a = left, b = sum();
      left = (env) => compare(op, a(env), b(env));
    }
    return left;
  }
  function sum() {
    let left = product();
    while (isOp("+", "-")) {
      const op = take().value; const a = left, b = product();
      left = op === "+" ? (env) => add(a(env), b(env)) : (env) => num(a(env)) - num(b(env));
    }
    return left;
  }
  function product() {
    let left = unary();
    while (isOp("*", "/", "%")) {
      const op = take().value; const a = left, b = unary();
      left = (env) => {
        const x = num(a(env)), y = num(b(env));
        if (op === "*") return x * y;
        if (y === 0) throw new Unsupported("division by zero");
        return op === "/" ? x / y : x % y;
      };
    }
    return left;
  }
  function unary() {
    if (isOp("-")) { take(); const a = unary(); return (env) => -num(a(env)); }
    return atom();
  }
  function atom() {
    const tok = take();
    if (!tok) throw new Unsupported("unexpected end");
    if (tok.kind === "num" || tok.kind === "str") return () => tok.value;
    if (tok.kind === "op" && tok.value === "(") { const inner = orExpr(); take(")"); return inner; }
    if (tok.kind === "name") {
      const constants = { True: true, False: false, true: true, false: false, None: null };
      if (tok.value in constants) return () => constants[tok.value];
      if (peek() && peek().value === "(") return call(tok.value);
      return (env) => {
        if (!(tok.value in env)) throw new Unsupported(`unknown name ${tok.value}`);
        return env[tok.value];
      };
    }
    throw new Unsupported(`unexpected ${tok.value}`);
  }
  function call(name) {
    take("(");
    const args = [];
    if (!isOp(")")) {
      args.push(orExpr());
      while (isOp(",")) { take(); args.push(orExpr()); }
    }
    take(")");
    if (name === "if") {
      if (args.length !== 3) throw new Unsupported("if needs 3 arguments");
      return (env) => (truthy(args[0](env)) ? args[1](env) : args[2](env));
    }
    const fn = FUNCTIONS[name];
    if (!fn) throw new Unsupported(`unknown function ${name}`);
    return (env) => fn(...args.map((a) => a(env)));
  }

  const root = orExpr();
  if (i !== tokens.length) throw new Unsupported("trailing input");
  return root;
}

function truthy(v) { return !(v === null || v === undefined || v === false || v === 0 || v === ""); }

function add(a, b) {
  if (typeof a === "string" || typeof b === "string") return `${a ?? ""}${b ?? ""}`;
  return num(a) + num(b);
}

function compare(op, a, b) {
  const numeric = typeof a === "number" || typeof b === "number";
  const x = numeric && a !== null && b !== null ? num(a) : a;
  const y = numeric && a !== null && b !== null ? num(b) : b;
  switch (op) {
    case "==": return x === y;
    case "!=": return x !== y;
    case "<": return x < y;
    case "<=": return x <= y;
    case ">": return x > y;
    default: return x >= y;
  }
}

const cache = new Map();

/** Evaluate ``source`` with the values in ``env``; throws Unsupported when it cannot. */
export function evaluate(source, env) {
  if (!cache.has(source)) {
    try { cache.set(source, compile(source)); } catch (err) { cache.set(source, err); }
  }
  const compiled = cache.get(source);
  if (compiled instanceof Error) throw compiled;
  return compiled(env);
}

export { truthy };
