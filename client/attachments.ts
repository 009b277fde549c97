// Attachments: bytes in Storage (bucket `parley-attachments`, under the conversation's folder), then a message pointing at them.
import type { ParleyClient } from "./client.ts";
import { ParleyError } from "./errors.ts";
import type { MessagesApi, SendInput } from "./messages.ts";
import type { Attachment, Message, MessageKind } from "./types.ts";

export const ATTACHMENTS_BUCKET = "parley-attachments";

export interface UploadInput {
  /** What to upload: a Blob/File in browsers, bytes anywhere. */
  data: Blob | ArrayBuffer | Uint8Array;
  /** MIME type; checked against the kind's allowed types by Storage and by the database. */
  contentType: string;
  /** File name shown to users (also the object name's suffix). */
  name: string;
  /** Media facts the database keeps beside the object. */
  durationMs?: number;
  width?: number;
  height?: number;
}

/** A safe object name: `<conversation_id>/<uuid>-<name with unsafe characters replaced>`. */
export function attachmentPath(conversationId: string, name: string): string {
  const clean = name.normalize("NFC").replace(/[^\w.\- ]+/g, "_").replace(/^\.+/, "_").slice(-120) || "file";
  return `${conversationId}/${crypto.randomUUID()}-${clean}`;
}

export function attachmentsApi(supabase: ParleyClient, messages: MessagesApi) {
  const api = {
    /** Uploads into the conversation's folder (members only, enforced by Storage's RLS) and returns the attachment to send. */
    async upload(conversationId: string, input: UploadInput): Promise<Attachment> {
      const path = attachmentPath(conversationId, input.name);
      const { error } = await supabase.storage.from(ATTACHMENTS_BUCKET).upload(path, input.data, { contentType: input.contentType, upsert: false });
      if (error) {
        const status = Number((error as { statusCode?: string | number }).statusCode ?? 0) || undefined;
        throw new ParleyError("upload_refused", error.message, status);
      }
      return {
        bucket: ATTACHMENTS_BUCKET,
        path,
        name: input.name,
        mime_type: input.contentType,
        ...(input.durationMs !== undefined ? { duration_ms: input.durationMs } : {}),
        ...(input.width !== undefined ? { width: input.width } : {}),
        ...(input.height !== undefined ? { height: input.height } : {}),
      };
    },

    /** Uploads, then sends a message of `kind` pointing at the object (a caption goes in `body`). */
    async send(conversationId: string, kind: Exclude<MessageKind, "text" | "system">, input: UploadInput & Omit<SendInput, "kind" | "attachment">): Promise<Message> {
      const attachment = await api.upload(conversationId, input);
      return messages.send(conversationId, { ...input, kind, attachment });
    },

    /** The bytes of an attachment (members only). */
    async download(attachment: Pick<Attachment, "path">): Promise<Blob> {
      const { data, error } = await supabase.storage.from(ATTACHMENTS_BUCKET).download(attachment.path);
      if (error || !data) throw new ParleyError("download_refused", error?.message ?? "no data", undefined);
      return data;
    },

    /** A URL anyone holding it can fetch until it expires (default one hour). */
    async signedUrl(attachment: Pick<Attachment, "path">, expiresInSeconds = 3600): Promise<string> {
      const { data, error } = await supabase.storage.from(ATTACHMENTS_BUCKET).createSignedUrl(attachment.path, expiresInSeconds);
      if (error || !data) throw new ParleyError("signed_url_refused", error?.message ?? "no data", undefined);
      return data.signedUrl;
    },
  };
  return api;
}

export type AttachmentsApi = ReturnType<typeof attachmentsApi>;
