// Attachments with upload progress: the same Storage request supabase-js makes (POST /storage/v1/object/…,
// as the signed-in user so the bucket's RLS decides), sent with XMLHttpRequest because fetch cannot
// report upload progress. Then the message that points at the object, through the SDK.
import {
  attachmentPath,
  ATTACHMENTS_BUCKET,
  ParleyError,
  type Attachment,
  type MessageKind,
} from "../../../client/index.ts";
import { parley, projectKey, projectUrl, supabase } from "./parley.ts";

export type AttachmentKind = Exclude<MessageKind, "text" | "system">;

/** The message kind a file is sent as, from its MIME type. */
export function kindOf(mime: string): AttachmentKind {
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("video/")) return "video";
  if (mime.startsWith("audio/")) return "audio";
  return "file";
}

/** Width and height of an image or video, duration of audio or video: the facts the database keeps beside the object. */
async function mediaFacts(
  file: File,
  kind: AttachmentKind,
): Promise<Pick<Attachment, "width" | "height" | "duration_ms">> {
  const src = URL.createObjectURL(file);
  try {
    if (kind === "image") {
      const img = new Image();
      img.src = src;
      await img.decode();
      return { width: img.naturalWidth, height: img.naturalHeight };
    }
    if (kind === "video" || kind === "audio") {
      const el = document.createElement(kind);
      el.preload = "metadata";
      el.src = src;
      await new Promise<void>((resolve, reject) => {
        el.onloadedmetadata = () => resolve();
        el.onerror = () => reject(new Error("unreadable media"));
      });
      const facts: Pick<Attachment, "width" | "height" | "duration_ms"> = {};
      if (Number.isFinite(el.duration)) facts.duration_ms = Math.round(el.duration * 1000);
      if (el instanceof HTMLVideoElement && el.videoWidth)
        Object.assign(facts, { width: el.videoWidth, height: el.videoHeight });
      return facts;
    }
    return {};
  } catch {
    return {}; // facts are optional: a file the browser cannot decode is still sent
  } finally {
    URL.revokeObjectURL(src);
  }
}

/** Uploads `file` into the conversation's folder, calling `onProgress` with 0–1. */
function put(path: string, file: File, onProgress: (fraction: number) => void, token: string): Promise<void> {
  const url = `${projectUrl}/storage/v1/object/${ATTACHMENTS_BUCKET}/${path.split("/").map(encodeURIComponent).join("/")}`;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("apikey", projectKey);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("x-upsert", "false");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let message = xhr.statusText || `HTTP ${xhr.status}`;
      try {
        message = (JSON.parse(xhr.responseText) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the status text
      }
      reject(new ParleyError({ code: "upload_refused", message, status: xhr.status }));
    };
    xhr.onerror = () =>
      reject(
        new ParleyError({ code: "upload_refused", message: "The upload could not reach Storage.", status: undefined }),
      );
    xhr.send(file);
  });
}

/** Uploads a file with progress, then sends it as a message (optionally a reply, with a caption). */
export async function sendFile(
  conversationId: string,
  file: File,
  onProgress: (fraction: number) => void,
  options: { replyToId?: string; body?: string } = {},
) {
  const { data } = await supabase.auth.getSession();
  const token = data.session?.access_token;
  if (!token) throw new ParleyError({ code: "not_authenticated", message: "Sign in first.", status: 401 });
  const kind = kindOf(file.type);
  const mime = file.type || "application/octet-stream";
  const facts = await mediaFacts(file, kind);
  const path = attachmentPath(conversationId, file.name);
  await put(path, file, onProgress, token);
  return parley.messages.send(conversationId, {
    kind,
    attachment: { bucket: ATTACHMENTS_BUCKET, path, name: file.name, mime_type: mime, ...facts },
    ...(options.body ? { body: options.body } : {}),
    ...(options.replyToId ? { replyToId: options.replyToId } : {}),
  });
}
