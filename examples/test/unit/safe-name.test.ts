import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkFileName, resolveInside } from "../../src/lib/safe-name.js";

const ok = (raw: unknown) => {
  const r = checkFileName(raw);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(raw)} to pass: ${r.error}`);
  return r.name;
};
const code = (raw: unknown) => {
  const r = checkFileName(raw);
  return r.ok ? "ok" : r.code;
};

describe("checkFileName", () => {
  it("keeps ordinary names", () => {
    expect(ok("report.pdf")).toBe("report.pdf");
    expect(ok("Photo (1).JPG")).toBe("Photo (1).JPG");
    expect(ok("naïve café.txt")).toBe("naïve café.txt");
  });

  it("keeps only the last path segment", () => {
    expect(ok("../../etc/passwd")).toBe("passwd");
    expect(ok("/etc/passwd")).toBe("passwd");
    expect(ok("C:\\Windows\\system.ini")).toBe("system.ini");
    expect(ok("..\\..\\boot.ini")).toBe("boot.ini");
  });

  it("never yields a dot name or a hidden file", () => {
    expect(code("..")).toBe("bad-name");
    expect(code(".")).toBe("bad-name");
    expect(code("a/..")).toBe("bad-name");
    expect(code("...")).toBe("bad-name");
    expect(ok(".bashrc")).toBe("_bashrc");
    expect(ok("..hidden.txt")).toBe("__hidden.txt");
  });

  it("refuses NUL and other control characters", () => {
    expect(code("evil.exe\u0000.txt")).toBe("bad-name");
    expect(code("a\nb.txt")).toBe("bad-name");
    expect(code("a\u007f.txt")).toBe("bad-name");
  });

  it("refuses non-strings and empty names", () => {
    for (const raw of [undefined, null, 1, {}, [], "", "/", "\\", "a/"]) {
      expect(code(raw)).toBe("bad-name");
    }
  });

  it("refuses forbidden extensions, case- and trailing-dot-insensitively", () => {
    for (const raw of [
      "setup.exe",
      "RUN.BAT",
      "x.sh",
      "a/b/c.Ps1",
      "evil.exe.",
      "evil.exe . ",
      "x.cmd",
    ]) {
      expect(code(raw)).toBe("forbidden-extension");
    }
    expect(ok("archive.exe.txt")).toBe("archive.exe.txt");
    expect(ok("shell")).toBe("shell");
  });

  it("replaces odd characters and bounds the length, keeping the extension", () => {
    expect(ok("a<b>c:d|e?.txt")).toBe("a_b_c_d_e_.txt");
    const long = ok(`${"x".repeat(500)}.png`);
    expect(long.length).toBe(120);
    expect(long.endsWith(".png")).toBe(true);
  });

  it("whatever the input, an accepted name resolves to a direct child of the folder", () => {
    const dir = path.resolve("/srv/uploads");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc
            .array(fc.constantFrom("..", ".", "/", "\\", "a", "\u0000", "é", ".exe", " ", "C:"), {
              maxLength: 12,
            })
            .map((parts) => parts.join("")),
        ),
        (raw) => {
          const r = checkFileName(raw);
          if (!r.ok) return;
          expect(r.name).not.toMatch(/[/\\\u0000]/);
          expect(r.name.startsWith(".")).toBe(false);
          expect(path.dirname(resolveInside(dir, r.name))).toBe(dir);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("resolveInside", () => {
  it("refuses anything that is not a direct child", () => {
    expect(() => resolveInside("/srv/u", "../x")).toThrow();
    expect(() => resolveInside("/srv/u", "a/b")).toThrow();
    expect(() => resolveInside("/srv/u", "/etc/passwd")).toThrow();
    expect(() => resolveInside("/srv/u", "..")).toThrow();
    expect(() => resolveInside("/srv/u", "")).toThrow();
    expect(resolveInside("/srv/u", "ok.txt")).toBe(path.resolve("/srv/u/ok.txt"));
  });
});
