// The gateway's routing table: patterns, parameters, order, methods, and what a 405 needs.
import { describe, expect, it } from "vitest";
import { Routes } from "./router.ts";

describe("Routes", () => {
  const routes = new Routes<string>()
    .on("POST", "/object/sign/:bucket/*", "sign")
    .on(["GET", "HEAD"], "/object/:bucket/*", "download")
    .on("DELETE", "/object/:bucket/?", "remove-many")
    .on("*", "/upload/resumable/?", "tus");

  it("matches the first route whose method and pattern fit, with its parameters", () => {
    expect(routes.match("POST", "/object/sign/b/a/c.png")).toEqual({
      handler: "sign",
      params: { bucket: "b", "*": "a/c.png" },
    });
    // GET on a sign path is no sign route: the object route takes it, as Storage's Fastify does.
    expect(routes.match("GET", "/object/sign/b")).toEqual({
      handler: "download",
      params: { bucket: "sign", "*": "b" },
    });
  });

  it("keeps parameters percent-encoded, one segment each, and the wildcard non-empty", () => {
    expect(routes.match("get", "/object/my%20bucket/x%2Fy")?.params).toEqual({ bucket: "my%20bucket", "*": "x%2Fy" });
    expect(routes.match("GET", "/object/b/")).toBeUndefined();
    expect(routes.match("GET", "/object//k")).toBeUndefined();
  });

  it("takes an optional trailing slash where the pattern says so, and any method for *", () => {
    expect(routes.match("DELETE", "/object/b")?.handler).toBe("remove-many");
    expect(routes.match("DELETE", "/object/b/")?.handler).toBe("remove-many");
    expect(routes.match("PATCH", "/upload/resumable/")?.handler).toBe("tus");
  });

  it("lists the methods a path has, for a 405", () => {
    expect(routes.allowed("/object/b/k").sort()).toEqual(["GET", "HEAD"]);
    expect(routes.allowed("/object/b").sort()).toEqual(["DELETE"]);
    expect(routes.allowed("/nothing")).toEqual([]);
  });

  it("escapes literal segments", () => {
    const r = new Routes<number>().on("GET", "/.well-known/jwks.json", 1);
    expect(r.match("GET", "/.well-known/jwks.json")?.handler).toBe(1);
    expect(r.match("GET", "/xwell-known/jwksxjson")).toBeUndefined();
  });
});
