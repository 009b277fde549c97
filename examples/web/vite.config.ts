// Vite for the example app. JSX is compiled by Vite's own esbuild (no React plugin needed; add
// @vitejs/plugin-react if you want Fast Refresh). The SDK is imported from ../../client, outside this folder.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export default defineConfig({
  esbuild: { jsx: "automatic" },
  server: { host: "127.0.0.1", port: 5173, fs: { allow: [repoRoot] } },
  preview: { host: "127.0.0.1" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      // zod's sources carry comments Rollup cannot place; harmless, and noise in every build.
      onwarn(warning, warn) {
        if (warning.code !== "INVALID_ANNOTATION") warn(warning);
      },
    },
  },
});
