/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KVM exit rig's cases: catalog sequences of the piix_ide model with
 * concrete arguments, batched as the planner submits them
 * (DevicePlan.submissions(for:)). Written by KVMExitTests.swift from the
 * model; do not edit. Regenerate with
 * PVGEN_UPDATE_KVM_CASES=1 swift test --filter KVMExitTests
 */

#ifndef _RIG_CASES_H
#define _RIG_CASES_H

/* The VMM puts BAR4, the bus-master registers, here. */
#define RIG_BAR4	0xc000

/* tf_lba28: READ VERIFY SECTORS, LBA28: tf_load + exec_command */
static const struct rig_access rig_tf_lba28_accesses[] = {
	/* submission 1 of 1 */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x08, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0x56, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0x34, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0x12, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0x40, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
};

static const __u8 rig_tf_lba28_batches[] = { 9 };

/* tf_lba48: READ VERIFY SECTORS EXT, LBA48: tf_load + exec_command */
static const struct rig_access rig_tf_lba48_accesses[] = {
	/* submission 1 of 1 */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->hob_feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x01, 0x00 },	/* nsect = tf->hob_nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0xcd, 0x00 },	/* lbal = tf->hob_lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0xab, 0x00 },	/* lbam = tf->hob_lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0x00, 0x00 },	/* lbah = tf->hob_lbah */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x80, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0x34, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0x12, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0xef, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0x42, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
};

static const __u8 rig_tf_lba48_batches[] = { 14 };

/* tf_lba48_ctl_ch1_dev1: LBA48 on the secondary channel's slave after a polled command: devctl written and waited on */
static const struct rig_access rig_tf_lba48_ctl_ch1_dev1_accesses[] = {
	/* submission 1 of 3 */
	{ PVGEN_OP_OUT, 1, 0x376, 0x08, 0x00 },	/* devctl = tf->ctl */
	{ PVGEN_OP_IN_WAIT, 1, 0x177, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x171, 0x00, 0x00 },	/* feature = tf->hob_feature */
	{ PVGEN_OP_OUT, 1, 0x172, 0xff, 0x00 },	/* nsect = tf->hob_nsect */
	{ PVGEN_OP_OUT, 1, 0x173, 0xff, 0x00 },	/* lbal = tf->hob_lbal */
	{ PVGEN_OP_OUT, 1, 0x174, 0xff, 0x00 },	/* lbam = tf->hob_lbam */
	{ PVGEN_OP_OUT, 1, 0x175, 0xff, 0x00 },	/* lbah = tf->hob_lbah */
	{ PVGEN_OP_OUT, 1, 0x171, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x172, 0xff, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x173, 0xfe, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x174, 0xff, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x175, 0xff, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x176, 0xf0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x177, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x177, 0x42, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	/* submission 2 of 3 */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	/* submission 3 of 3 */
	{ PVGEN_OP_IN, 1, 0x177, 0x00, 0x00 },	/* status */
};

static const __u8 rig_tf_lba48_ctl_ch1_dev1_batches[] = { 16, 1, 1 };

/* set_features_ch1: SET FEATURES (transfer mode MWDMA2) on the secondary master */
static const struct rig_access rig_set_features_ch1_accesses[] = {
	/* submission 1 of 2 */
	{ PVGEN_OP_OUT, 1, 0x171, 0x03, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x172, 0x22, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x173, 0x00, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x174, 0x00, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x175, 0x00, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x176, 0xe0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x177, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x177, 0xef, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	/* submission 2 of 2 */
	{ PVGEN_OP_IN, 1, 0x177, 0x00, 0x00 },	/* status */
};

static const __u8 rig_set_features_ch1_batches[] = { 9, 1 };

/* dev_select0: select the master, then the 400 ns pause */
static const struct rig_access rig_dev_select0_accesses[] = {
	/* submission 1 of 1 */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xa0, 0x00 },	/* device = select */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
};

static const __u8 rig_dev_select0_batches[] = { 2 };

/* dev_select1_ch1: select the slave of the secondary channel */
static const struct rig_access rig_dev_select1_ch1_accesses[] = {
	/* submission 1 of 3 */
	{ PVGEN_OP_IN, 1, 0x177, 0x00, 0x00 },	/* status */
	/* submission 2 of 3 */
	{ PVGEN_OP_OUT, 1, 0x176, 0xb0, 0x00 },	/* device = select */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	/* submission 3 of 3 */
	{ PVGEN_OP_IN, 1, 0x177, 0x00, 0x00 },	/* status */
};

static const __u8 rig_dev_select1_ch1_batches[] = { 1, 2, 1 };

/* status_reads: check_status, check_altstatus, bmdma_status */
static const struct rig_access rig_status_reads_accesses[] = {
	/* submission 1 of 3 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 2 of 3 */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 3 of 3 */
	{ PVGEN_OP_IN, 1, 0xc002, 0x00, 0x00 },	/* bmdma_status */
};

static const __u8 rig_status_reads_batches[] = { 1, 1, 1 };

/* irq_clear_ch1: acknowledge the bus-master interrupt bits */
static const struct rig_access rig_irq_clear_ch1_accesses[] = {
	/* submission 1 of 2 */
	{ PVGEN_OP_RMW, 1, 0xc00a, 0x00, 0xff },	/* bmdma_status = (bmdma_status & 0xff) | (0) */
	/* submission 2 of 2 */
	{ PVGEN_OP_IN, 1, 0xc00a, 0x00, 0x00 },	/* bmdma_status */
};

static const __u8 rig_irq_clear_ch1_batches[] = { 1, 1 };

/* bmdma_stop: stop an idle bus master */
static const struct rig_access rig_bmdma_stop_accesses[] = {
	/* submission 1 of 1 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
};

static const __u8 rig_bmdma_stop_batches[] = { 2 };

/* dma_issue_lba28_dev1: WRITE DMA, LBA28, slave: tf_load + bmdma_setup + bmdma_start */
static const struct rig_access rig_dma_issue_lba28_dev1_accesses[] = {
	/* submission 1 of 4 */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x10, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0xf0, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0xff, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0xff, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xff, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 4, 0xc004, 0x123000, 0x00 },	/* bmdma_prd = ap->bmdma_prd_dma */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xf6 },	/* bmdma_cmd = (bmdma_cmd & 0xf6) | (rw ? 0 : ATA_DMA_WR) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0xca, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 2 of 4 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x01, 0xff },	/* bmdma_cmd = (bmdma_cmd & 0xff) | (ATA_DMA_START) */
	/* submission 3 of 4 */
	{ PVGEN_OP_IN, 1, 0xc002, 0x00, 0x00 },	/* bmdma_status */
	/* submission 4 of 4 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
};

static const __u8 rig_dma_issue_lba28_dev1_batches[] = { 11, 1, 1, 2 };

/* dma_read_lba28: READ DMA, LBA28: the whole command as ata_piix runs it */
static const struct rig_access rig_dma_read_lba28_accesses[] = {
	/* submission 1 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 2 of 10 */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xa0, 0x00 },	/* device = select */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 3 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 4 of 10 */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x08, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0xef, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0xcd, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0xab, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 4, 0xc004, 0x10000, 0x00 },	/* bmdma_prd = ap->bmdma_prd_dma */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x08, 0xf6 },	/* bmdma_cmd = (bmdma_cmd & 0xf6) | (rw ? 0 : ATA_DMA_WR) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0xc8, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 5 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x01, 0xff },	/* bmdma_cmd = (bmdma_cmd & 0xff) | (ATA_DMA_START) */
	/* submission 6 of 10 */
	{ PVGEN_OP_IN, 1, 0xc002, 0x00, 0x00 },	/* bmdma_status */
	/* submission 7 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 8 of 10 */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 9 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 10 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc002, 0x00, 0xff },	/* bmdma_status = (bmdma_status & 0xff) | (0) */
};

static const __u8 rig_dma_read_lba28_batches[] = { 1, 2, 1, 11, 1, 1, 2, 1, 1, 1 };

/* dma_write_lba28_ch1_dev1: WRITE DMA, LBA28, one sector, secondary slave */
static const struct rig_access rig_dma_write_lba28_ch1_dev1_accesses[] = {
	/* submission 1 of 10 */
	{ PVGEN_OP_IN, 1, 0x177, 0x00, 0x00 },	/* status */
	/* submission 2 of 10 */
	{ PVGEN_OP_OUT, 1, 0x176, 0xb0, 0x00 },	/* device = select */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	/* submission 3 of 10 */
	{ PVGEN_OP_IN, 1, 0x177, 0x00, 0x00 },	/* status */
	/* submission 4 of 10 */
	{ PVGEN_OP_OUT, 1, 0x171, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x172, 0x01, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x173, 0x10, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x174, 0x00, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x175, 0x00, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x176, 0xf0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x177, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 4, 0xc00c, 0x7ffe0000, 0x00 },	/* bmdma_prd = ap->bmdma_prd_dma */
	{ PVGEN_OP_RMW, 1, 0xc008, 0x00, 0xf6 },	/* bmdma_cmd = (bmdma_cmd & 0xf6) | (rw ? 0 : ATA_DMA_WR) */
	{ PVGEN_OP_OUT, 1, 0x177, 0xca, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	/* submission 5 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc008, 0x01, 0xff },	/* bmdma_cmd = (bmdma_cmd & 0xff) | (ATA_DMA_START) */
	/* submission 6 of 10 */
	{ PVGEN_OP_IN, 1, 0xc00a, 0x00, 0x00 },	/* bmdma_status */
	/* submission 7 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc008, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	/* submission 8 of 10 */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	/* submission 9 of 10 */
	{ PVGEN_OP_IN, 1, 0x177, 0x00, 0x00 },	/* status */
	/* submission 10 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc00a, 0x00, 0xff },	/* bmdma_status = (bmdma_status & 0xff) | (0) */
};

static const __u8 rig_dma_write_lba28_ch1_dev1_batches[] = { 1, 2, 1, 11, 1, 1, 2, 1, 1, 1 };

/* dma_read_lba48: READ DMA EXT, LBA48, 256 sectors: the whole command */
static const struct rig_access rig_dma_read_lba48_accesses[] = {
	/* submission 1 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 2 of 10 */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xa0, 0x00 },	/* device = select */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 3 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 4 of 10 */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->hob_feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x01, 0x00 },	/* nsect = tf->hob_nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0x34, 0x00 },	/* lbal = tf->hob_lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0x12, 0x00 },	/* lbam = tf->hob_lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0x00, 0x00 },	/* lbah = tf->hob_lbah */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x00, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0x9a, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0x78, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0x56, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 4, 0xc004, 0x10000, 0x00 },	/* bmdma_prd = ap->bmdma_prd_dma */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x08, 0xf6 },	/* bmdma_cmd = (bmdma_cmd & 0xf6) | (rw ? 0 : ATA_DMA_WR) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0x25, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 5 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x01, 0xff },	/* bmdma_cmd = (bmdma_cmd & 0xff) | (ATA_DMA_START) */
	/* submission 6 of 10 */
	{ PVGEN_OP_IN, 1, 0xc002, 0x00, 0x00 },	/* bmdma_status */
	/* submission 7 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 8 of 10 */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 9 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 10 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc002, 0x00, 0xff },	/* bmdma_status = (bmdma_status & 0xff) | (0) */
};

static const __u8 rig_dma_read_lba48_batches[] = { 1, 2, 1, 16, 1, 1, 2, 1, 1, 1 };

/* dma_write_lba48_ctl_dev1: WRITE DMA EXT past 2^28 on the slave, device control changed */
static const struct rig_access rig_dma_write_lba48_ctl_dev1_accesses[] = {
	/* submission 1 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 2 of 10 */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xb0, 0x00 },	/* device = select */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 3 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 4 of 10 */
	{ PVGEN_OP_OUT, 1, 0x3f6, 0x08, 0x00 },	/* devctl = tf->ctl */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->hob_feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x00, 0x00 },	/* nsect = tf->hob_nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0xff, 0x00 },	/* lbal = tf->hob_lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0xff, 0x00 },	/* lbam = tf->hob_lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0x7f, 0x00 },	/* lbah = tf->hob_lbah */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x10, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0xf0, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0xff, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0xff, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xf0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 4, 0xc004, 0xf000, 0x00 },	/* bmdma_prd = ap->bmdma_prd_dma */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xf6 },	/* bmdma_cmd = (bmdma_cmd & 0xf6) | (rw ? 0 : ATA_DMA_WR) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0x35, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 5 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x01, 0xff },	/* bmdma_cmd = (bmdma_cmd & 0xff) | (ATA_DMA_START) */
	/* submission 6 of 10 */
	{ PVGEN_OP_IN, 1, 0xc002, 0x00, 0x00 },	/* bmdma_status */
	/* submission 7 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 8 of 10 */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 9 of 10 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	/* submission 10 of 10 */
	{ PVGEN_OP_RMW, 1, 0xc002, 0x00, 0xff },	/* bmdma_status = (bmdma_status & 0xff) | (0) */
};

static const __u8 rig_dma_write_lba48_ctl_dev1_batches[] = { 1, 2, 1, 18, 1, 1, 2, 1, 1, 1 };

/* flush_then_verify_busy: FLUSH CACHE EXT polled, then the next command while the drive is still busy: the IN_WAIT meets BSY */
static const struct rig_access rig_flush_then_verify_busy_accesses[] = {
	/* submission 1 of 4 */
	{ PVGEN_OP_OUT, 1, 0x3f6, 0x0a, 0x00 },	/* devctl = tf->ctl */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xa0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0xea, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 2 of 4 */
	{ PVGEN_OP_OUT, 1, 0x3f6, 0x08, 0x00 },	/* devctl = tf->ctl */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x01, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0x00, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0x01, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0x00, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0x40, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 3 of 4 */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	/* submission 4 of 4 */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
};

static const __u8 rig_flush_then_verify_busy_batches[] = { 6, 11, 1, 1 };

/* dma_own_read_lba48: READ DMA EXT through the driver's own paths: one batch issues it, one finishes it */
static const struct rig_access rig_dma_own_read_lba48_accesses[] = {
	/* submission 1 of 2 */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xa0, 0x00 },	/* device = select */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->hob_feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x01, 0x00 },	/* nsect = tf->hob_nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0x34, 0x00 },	/* lbal = tf->hob_lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0x12, 0x00 },	/* lbam = tf->hob_lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0x00, 0x00 },	/* lbah = tf->hob_lbah */
	{ PVGEN_OP_OUT, 1, 0x1f1, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x1f2, 0x00, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x1f3, 0x9a, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x1f4, 0x78, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x1f5, 0x56, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x1f6, 0xe0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x1f7, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 4, 0xc004, 0x10000, 0x00 },	/* bmdma_prd = ap->bmdma_prd_dma */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x08, 0xf6 },	/* bmdma_cmd = (bmdma_cmd & 0xf6) | (rw ? 0 : ATA_DMA_WR) */
	{ PVGEN_OP_OUT, 1, 0x1f7, 0x25, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x01, 0xff },	/* bmdma_cmd = (bmdma_cmd & 0xff) | (ATA_DMA_START) */
	/* submission 2 of 2 */
	{ PVGEN_OP_IN_EXPECT, 1, 0xc002, 0x04, 0x04 },	/* bmdma_status & (ATA_DMA_INTR) == ATA_DMA_INTR or cut */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	{ PVGEN_OP_IN_EXPECT, 1, 0x3f6, 0x00, 0x80 },	/* altstatus & (ATA_BUSY) == 0 or cut */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	{ PVGEN_OP_RMW, 1, 0xc002, 0x00, 0xff },	/* bmdma_status = (bmdma_status & 0xff) | (0) */
};

static const __u8 rig_dma_own_read_lba48_batches[] = { 21, 6 };

/* dma_own_write_lba28_ch1_dev1: WRITE DMA on the secondary slave through the driver's own paths, device control changed */
static const struct rig_access rig_dma_own_write_lba28_ch1_dev1_accesses[] = {
	/* submission 1 of 2 */
	{ PVGEN_OP_IN_WAIT, 1, 0x177, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x176, 0xb0, 0x00 },	/* device = select */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	{ PVGEN_OP_IN_WAIT, 1, 0x177, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x376, 0x08, 0x00 },	/* devctl = tf->ctl */
	{ PVGEN_OP_IN_WAIT, 1, 0x177, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 1, 0x171, 0x00, 0x00 },	/* feature = tf->feature */
	{ PVGEN_OP_OUT, 1, 0x172, 0x08, 0x00 },	/* nsect = tf->nsect */
	{ PVGEN_OP_OUT, 1, 0x173, 0x20, 0x00 },	/* lbal = tf->lbal */
	{ PVGEN_OP_OUT, 1, 0x174, 0x00, 0x00 },	/* lbam = tf->lbam */
	{ PVGEN_OP_OUT, 1, 0x175, 0x00, 0x00 },	/* lbah = tf->lbah */
	{ PVGEN_OP_OUT, 1, 0x176, 0xf0, 0x00 },	/* device = tf->device */
	{ PVGEN_OP_IN_WAIT, 1, 0x177, 0x00, 0x88 },	/* status until !(ATA_BUSY | ATA_DRQ) */
	{ PVGEN_OP_OUT, 4, 0xc00c, 0x40000, 0x00 },	/* bmdma_prd = ap->bmdma_prd_dma */
	{ PVGEN_OP_RMW, 1, 0xc008, 0x00, 0xf6 },	/* bmdma_cmd = (bmdma_cmd & 0xf6) | (rw ? 0 : ATA_DMA_WR) */
	{ PVGEN_OP_OUT, 1, 0x177, 0xca, 0x00 },	/* command = tf->command */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	{ PVGEN_OP_RMW, 1, 0xc008, 0x01, 0xff },	/* bmdma_cmd = (bmdma_cmd & 0xff) | (ATA_DMA_START) */
	/* submission 2 of 2 */
	{ PVGEN_OP_IN_EXPECT, 1, 0xc00a, 0x04, 0x04 },	/* bmdma_status & (ATA_DMA_INTR) == ATA_DMA_INTR or cut */
	{ PVGEN_OP_RMW, 1, 0xc008, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x376, 0x00, 0x00 },	/* altstatus */
	{ PVGEN_OP_IN_EXPECT, 1, 0x376, 0x00, 0x80 },	/* altstatus & (ATA_BUSY) == 0 or cut */
	{ PVGEN_OP_IN, 1, 0x177, 0x00, 0x00 },	/* status */
	{ PVGEN_OP_RMW, 1, 0xc00a, 0x00, 0xff },	/* bmdma_status = (bmdma_status & 0xff) | (0) */
};

static const __u8 rig_dma_own_write_lba28_ch1_dev1_batches[] = { 18, 6 };

/* dma_intr_not_ours: an interrupt with no DMA finished: INTR is clear, so the batch is cut after its first read */
static const struct rig_access rig_dma_intr_not_ours_accesses[] = {
	/* submission 1 of 1 */
	{ PVGEN_OP_IN_EXPECT, 1, 0xc002, 0x04, 0x04 },	/* bmdma_status & (ATA_DMA_INTR) == ATA_DMA_INTR or cut */
	{ PVGEN_OP_RMW, 1, 0xc000, 0x00, 0xfe },	/* bmdma_cmd = (bmdma_cmd & 0xfe) | (0) */
	{ PVGEN_OP_IN, 1, 0x3f6, 0x00, 0x00 },	/* altstatus */
	{ PVGEN_OP_IN_EXPECT, 1, 0x3f6, 0x00, 0x80 },	/* altstatus & (ATA_BUSY) == 0 or cut */
	{ PVGEN_OP_IN, 1, 0x1f7, 0x00, 0x00 },	/* status */
	{ PVGEN_OP_RMW, 1, 0xc002, 0x00, 0xff },	/* bmdma_status = (bmdma_status & 0xff) | (0) */
};

static const __u8 rig_dma_intr_not_ours_batches[] = { 6 };

static const struct rig_case rig_cases[] = {
	{
		.name		= "tf_lba28",
		.summary	= "READ VERIFY SECTORS, LBA28: tf_load + exec_command",
		.accesses	= rig_tf_lba28_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_tf_lba28_accesses),
		.batches	= rig_tf_lba28_batches,
		.nr_batches	= ARRAY_SIZE(rig_tf_lba28_batches),
		.bench		= 1,
	},
	{
		.name		= "tf_lba48",
		.summary	= "READ VERIFY SECTORS EXT, LBA48: tf_load + exec_command",
		.accesses	= rig_tf_lba48_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_tf_lba48_accesses),
		.batches	= rig_tf_lba48_batches,
		.nr_batches	= ARRAY_SIZE(rig_tf_lba48_batches),
		.bench		= 1,
	},
	{
		.name		= "tf_lba48_ctl_ch1_dev1",
		.summary	= "LBA48 on the secondary channel's slave after a polled command: devctl written and waited on",
		.accesses	= rig_tf_lba48_ctl_ch1_dev1_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_tf_lba48_ctl_ch1_dev1_accesses),
		.batches	= rig_tf_lba48_ctl_ch1_dev1_batches,
		.nr_batches	= ARRAY_SIZE(rig_tf_lba48_ctl_ch1_dev1_batches),
		.bench		= 0,
	},
	{
		.name		= "set_features_ch1",
		.summary	= "SET FEATURES (transfer mode MWDMA2) on the secondary master",
		.accesses	= rig_set_features_ch1_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_set_features_ch1_accesses),
		.batches	= rig_set_features_ch1_batches,
		.nr_batches	= ARRAY_SIZE(rig_set_features_ch1_batches),
		.bench		= 0,
	},
	{
		.name		= "dev_select0",
		.summary	= "select the master, then the 400 ns pause",
		.accesses	= rig_dev_select0_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dev_select0_accesses),
		.batches	= rig_dev_select0_batches,
		.nr_batches	= ARRAY_SIZE(rig_dev_select0_batches),
		.bench		= 1,
	},
	{
		.name		= "dev_select1_ch1",
		.summary	= "select the slave of the secondary channel",
		.accesses	= rig_dev_select1_ch1_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dev_select1_ch1_accesses),
		.batches	= rig_dev_select1_ch1_batches,
		.nr_batches	= ARRAY_SIZE(rig_dev_select1_ch1_batches),
		.bench		= 0,
	},
	{
		.name		= "status_reads",
		.summary	= "check_status, check_altstatus, bmdma_status",
		.accesses	= rig_status_reads_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_status_reads_accesses),
		.batches	= rig_status_reads_batches,
		.nr_batches	= ARRAY_SIZE(rig_status_reads_batches),
		.bench		= 1,
	},
	{
		.name		= "irq_clear_ch1",
		.summary	= "acknowledge the bus-master interrupt bits",
		.accesses	= rig_irq_clear_ch1_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_irq_clear_ch1_accesses),
		.batches	= rig_irq_clear_ch1_batches,
		.nr_batches	= ARRAY_SIZE(rig_irq_clear_ch1_batches),
		.bench		= 0,
	},
	{
		.name		= "bmdma_stop",
		.summary	= "stop an idle bus master",
		.accesses	= rig_bmdma_stop_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_bmdma_stop_accesses),
		.batches	= rig_bmdma_stop_batches,
		.nr_batches	= ARRAY_SIZE(rig_bmdma_stop_batches),
		.bench		= 0,
	},
	{
		.name		= "dma_issue_lba28_dev1",
		.summary	= "WRITE DMA, LBA28, slave: tf_load + bmdma_setup + bmdma_start",
		.accesses	= rig_dma_issue_lba28_dev1_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dma_issue_lba28_dev1_accesses),
		.batches	= rig_dma_issue_lba28_dev1_batches,
		.nr_batches	= ARRAY_SIZE(rig_dma_issue_lba28_dev1_batches),
		.bench		= 0,
	},
	{
		.name		= "dma_read_lba28",
		.summary	= "READ DMA, LBA28: the whole command as ata_piix runs it",
		.accesses	= rig_dma_read_lba28_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dma_read_lba28_accesses),
		.batches	= rig_dma_read_lba28_batches,
		.nr_batches	= ARRAY_SIZE(rig_dma_read_lba28_batches),
		.bench		= 1,
	},
	{
		.name		= "dma_write_lba28_ch1_dev1",
		.summary	= "WRITE DMA, LBA28, one sector, secondary slave",
		.accesses	= rig_dma_write_lba28_ch1_dev1_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dma_write_lba28_ch1_dev1_accesses),
		.batches	= rig_dma_write_lba28_ch1_dev1_batches,
		.nr_batches	= ARRAY_SIZE(rig_dma_write_lba28_ch1_dev1_batches),
		.bench		= 0,
	},
	{
		.name		= "dma_read_lba48",
		.summary	= "READ DMA EXT, LBA48, 256 sectors: the whole command",
		.accesses	= rig_dma_read_lba48_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dma_read_lba48_accesses),
		.batches	= rig_dma_read_lba48_batches,
		.nr_batches	= ARRAY_SIZE(rig_dma_read_lba48_batches),
		.bench		= 1,
	},
	{
		.name		= "dma_write_lba48_ctl_dev1",
		.summary	= "WRITE DMA EXT past 2^28 on the slave, device control changed",
		.accesses	= rig_dma_write_lba48_ctl_dev1_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dma_write_lba48_ctl_dev1_accesses),
		.batches	= rig_dma_write_lba48_ctl_dev1_batches,
		.nr_batches	= ARRAY_SIZE(rig_dma_write_lba48_ctl_dev1_batches),
		.bench		= 0,
	},
	{
		.name		= "flush_then_verify_busy",
		.summary	= "FLUSH CACHE EXT polled, then the next command while the drive is still busy: the IN_WAIT meets BSY",
		.accesses	= rig_flush_then_verify_busy_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_flush_then_verify_busy_accesses),
		.batches	= rig_flush_then_verify_busy_batches,
		.nr_batches	= ARRAY_SIZE(rig_flush_then_verify_busy_batches),
		.bench		= 0,
	},
	{
		.name		= "dma_own_read_lba48",
		.summary	= "READ DMA EXT through the driver's own paths: one batch issues it, one finishes it",
		.accesses	= rig_dma_own_read_lba48_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dma_own_read_lba48_accesses),
		.batches	= rig_dma_own_read_lba48_batches,
		.nr_batches	= ARRAY_SIZE(rig_dma_own_read_lba48_batches),
		.bench		= 1,
	},
	{
		.name		= "dma_own_write_lba28_ch1_dev1",
		.summary	= "WRITE DMA on the secondary slave through the driver's own paths, device control changed",
		.accesses	= rig_dma_own_write_lba28_ch1_dev1_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dma_own_write_lba28_ch1_dev1_accesses),
		.batches	= rig_dma_own_write_lba28_ch1_dev1_batches,
		.nr_batches	= ARRAY_SIZE(rig_dma_own_write_lba28_ch1_dev1_batches),
		.bench		= 0,
	},
	{
		.name		= "dma_intr_not_ours",
		.summary	= "an interrupt with no DMA finished: INTR is clear, so the batch is cut after its first read",
		.accesses	= rig_dma_intr_not_ours_accesses,
		.nr_accesses	= ARRAY_SIZE(rig_dma_intr_not_ours_accesses),
		.batches	= rig_dma_intr_not_ours_batches,
		.nr_batches	= ARRAY_SIZE(rig_dma_intr_not_ours_batches),
		.bench		= 0,
	},
};

/*
 * Registers whose writes only latch (the model's WriteEffect.latches) and that
 * the cases write: the side-effect-free ports KVM coalesced PIO may queue.
 */
static const struct rig_zone rig_coalesced_zones[] = {
	{ 0x171, 6 },
	{ 0x1f1, 6 },
	{ 0xc004, 4 },
	{ 0xc00c, 4 },
};

#endif /* _RIG_CASES_H */
