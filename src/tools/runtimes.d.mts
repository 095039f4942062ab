// Types of src/tools/runtimes.mjs for the TypeScript tests.
export declare const CACHE: string;
export declare const PACKAGES: Record<string, string>;
export declare const RUNTIMES: { name: string; label: string; kind: "cli" | "workerd"; args: string[] }[];
export declare function runtimeBinary(name: string): { path: string | null; reason: string | null };
