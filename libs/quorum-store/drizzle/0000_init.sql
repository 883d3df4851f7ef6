CREATE TABLE "seamline_fences" (
	"domain" text PRIMARY KEY NOT NULL,
	"token" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seamline_records" (
	"domain" text NOT NULL,
	"key" text NOT NULL,
	"fence" bigint NOT NULL,
	"seq" bigint NOT NULL,
	"tag" text,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "seamline_records_domain_key_pk" PRIMARY KEY("domain","key")
);
--> statement-breakpoint
CREATE INDEX "seamline_records_tag" ON "seamline_records" USING btree ("domain","tag");