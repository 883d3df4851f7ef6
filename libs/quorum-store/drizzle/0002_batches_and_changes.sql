CREATE TABLE "seamline_batches" (
	"batch_id" text PRIMARY KEY NOT NULL,
	"domain" text NOT NULL,
	"token" bigint NOT NULL,
	"holder" text DEFAULT '' NOT NULL,
	"members" jsonb NOT NULL,
	"written_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "seamline_records" ADD COLUMN "batch_id" text;--> statement-breakpoint
ALTER TABLE "seamline_records" ADD COLUMN "change_seq" bigserial NOT NULL;--> statement-breakpoint
CREATE INDEX "seamline_batches_written_at" ON "seamline_batches" USING btree ("domain","written_at");--> statement-breakpoint
CREATE INDEX "seamline_records_change_seq" ON "seamline_records" USING btree ("change_seq");