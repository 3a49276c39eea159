/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A register-file model of a two-channel PIIX IDE controller with two ATA
 * drives per channel: the taskfile, status/altstatus, device control and the
 * SFF-8038i bus-master registers. Every access, trapped or replayed from a
 * batch, goes through ata_dev_in()/ata_dev_out(), which record the ordered
 * device-visible trace.
 *
 * Time in the model is counted in accesses, not nanoseconds, so that a run is
 * deterministic: a command keeps BSY set for a number of status reads.
 */

#ifndef _ATA_DEVICE_H
#define _ATA_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* <linux/ata.h> status and device-control bits, SFF-8038i bus-master bits. */
#define ATA_ST_ERR	0x01
#define ATA_ST_DRQ	0x08
#define ATA_ST_DSC	0x10
#define ATA_ST_DRDY	0x40
#define ATA_ST_BSY	0x80
#define ATA_ER_ABRT	0x04
#define ATA_DC_NIEN	0x02
#define ATA_DC_SRST	0x04
#define ATA_DC_HOB	0x80
#define ATA_DEV_DEV1	0x10
#define ATA_DEV_LBA	0x40
#define BM_CMD_START	0x01
#define BM_CMD_WR	0x08	/* the bus master writes memory: a device read */
#define BM_ST_ACTIVE	0x01
#define BM_ST_ERR	0x02
#define BM_ST_INTR	0x04
#define BM_ST_DRV_DMA	0x60	/* drive 0/1 DMA capable, set by firmware */

#define ATA_DEV_MAX_COMMANDS	16

/**
 * struct ata_access - one device-visible port access
 * @port: I/O port
 * @width: 1, 2 or 4
 * @out: 1 for a write, 0 for a read
 * @value: the value written or returned
 */
struct ata_access {
	__u16 port;
	__u8 width;
	__u8 out;
	__u32 value;
};

/**
 * struct ata_command - a command as the drive decoded it from its taskfile
 * @channel: 0 or 1
 * @drive: 0 (master) or 1 (slave)
 * @command: the ATA command byte
 * @device: the device register
 * @lba: the LBA (48 bits for the EXT commands, 28 bits otherwise)
 * @count: sectors (0 means 256, or 65536 for EXT)
 */
struct ata_command {
	__u8 channel;
	__u8 drive;
	__u8 command;
	__u8 device;
	__u64 lba;
	__u32 count;
};

struct ata_drive {
	__u8 status;
	__u8 error;
	__u8 busy_reads;	/* status reads left before the command ends */
	__u8 command;		/* the command in progress, or 0 */
	bool dma_pending;	/* waiting for the bus master to start */
	bool dma_read;		/* the pending DMA moves data to memory */
	bool intrq;		/* interrupt pending until status is read */
};

struct ata_channel {
	/* [0] the register, [1] its previous value (the LBA48 HOB byte) */
	__u8 feature[2], nsect[2], lbal[2], lbam[2], lbah[2];
	__u8 device;
	__u8 devctl;
	struct ata_drive drive[2];
	__u8 bm_cmd;
	__u8 bm_status;
	__u32 bm_prd;
};

/**
 * struct ata_dev - the controller
 * @bar4: base of the bus-master registers (BAR4)
 * @ch: the two channels, at the legacy 0x1f0/0x3f6 and 0x170/0x376
 * @trace: where accesses are recorded, or NULL not to record them
 * @trace_max: room in @trace
 * @trace_len: accesses recorded
 * @trace_lost: accesses that did not fit
 * @commands: commands the drives accepted, in order
 * @nr_commands: number of @commands (counting ones that did not fit)
 */
struct ata_dev {
	__u16 bar4;
	struct ata_channel ch[2];
	struct ata_access *trace;
	size_t trace_max;
	size_t trace_len;
	size_t trace_lost;
	struct ata_command commands[ATA_DEV_MAX_COMMANDS];
	size_t nr_commands;
};

void ata_dev_init(struct ata_dev *d, __u16 bar4, struct ata_access *trace,
		  size_t trace_max);
void ata_dev_reset(struct ata_dev *d);
bool ata_dev_claims(const struct ata_dev *d, __u16 port);
int ata_dev_in(struct ata_dev *d, __u16 port, __u8 width, __u32 *value);
int ata_dev_out(struct ata_dev *d, __u16 port, __u8 width, __u32 value);

#endif /* _ATA_DEVICE_H */
