ALTER TABLE "seamline_records" ADD COLUMN "deleted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "seamline_records_batch_id" ON "seamline_records" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "seamline_records_tombstones" ON "seamline_records" USING btree ("domain","updated_at") WHERE "seamline_records"."deleted";