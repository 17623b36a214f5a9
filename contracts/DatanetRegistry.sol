// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Datanets: community datasets, their contributions and their published versions
/// @notice A datanet has an owner, a name, a metadata URI and one modality. Anyone may submit a
/// contribution (the Merkle root of its records); the owner or a curator approves or rejects it.
/// The owner or a curator publishes versions: a Merkle root over the accepted records, paying a fee.
/// Published versions never change.
///
/// Publish fee: `versionFee(datanetId)` = baseFee + feePerRecord × the records of contributions
/// approved since the last version. It counts only what the contract itself recorded (approvals
/// of contributions, each with its record count, checked by a reviewer), never a size or count the
/// publisher declares, so it cannot be talked down. `publishVersion` needs msg.value >= the fee;
/// the fee goes to the treasury at once and any overpayment is refunded in the same call.
///
/// Training access: a datanet is open for training unless its owner restricts it; then the owner,
/// its curators and the accounts granted (by the owner, or by paying the licence fee to the owner)
/// may train on it. ModelRegistry records, per model version, whether the model's owner might.
contract DatanetRegistry is AccessControl, ReentrancyGuard {
    /// @notice May change the publish-fee parameters and the treasury.
    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");

    enum Modality {
        Text,
        Image,
        Audio
    }

    enum ContributionStatus {
        Pending,
        Approved,
        Rejected
    }

    struct Datanet {
        address owner;
        Modality modality;
        uint32 versionCount;
        uint64 contributionCount;
        /// @dev Records of approved contributions: all of them, and those already paid for by a version.
        uint64 approvedRecords;
        uint64 billedRecords;
        string name;
        string metadataURI;
    }

    struct Contribution {
        address contributor;
        ContributionStatus status;
        uint64 recordCount;
        uint64 submittedAt;
        bytes32 contentRoot;
        string uri;
    }

    struct Version {
        bytes32 root;
        uint64 recordCount;
        uint64 byteSize;
        uint64 publishedAt;
        string metadataURI;
    }

    /// @notice Where publish fees go.
    address public treasury;
    /// @notice Publish fee = baseFee + feePerRecord × newly approved contribution records (wei).
    uint256 public baseFee = 0.01 ether;
    uint256 public feePerRecord = 0.00001 ether;

    /// @notice Restricted: only the owner, curators and granted accounts may train on the datanet.
    /// licenceFee: what an account pays the owner to be granted (0: granted by the owner only).
    struct TrainingPolicy {
        bool restricted;
        uint256 licenceFee;
    }

    /// @notice Datanets created so far; ids run from 1 to datanetCount.
    uint256 public datanetCount;

    mapping(uint256 datanetId => Datanet) private _datanets;
    mapping(uint256 datanetId => mapping(address account => bool)) private _curators;
    mapping(uint256 datanetId => mapping(uint256 contributionId => Contribution)) private _contributions;
    mapping(uint256 datanetId => mapping(uint32 version => Version)) private _versions;
    mapping(uint256 datanetId => TrainingPolicy) private _training;
    mapping(uint256 datanetId => mapping(address account => bool)) private _trainingGrants;

    event DatanetCreated(
        uint256 indexed datanetId, address indexed owner, string name, string metadataURI, uint8 modality
    );
    event CuratorSet(uint256 indexed datanetId, address indexed curator, bool enabled);
    event ContributionSubmitted(
        uint256 indexed datanetId,
        uint256 indexed contributionId,
        address indexed contributor,
        bytes32 contentRoot,
        uint64 recordCount,
        string uri
    );
    event ContributionReviewed(
        uint256 indexed datanetId, uint256 indexed contributionId, bool approved, address reviewer
    );
    event VersionPublished(
        uint256 indexed datanetId,
        uint32 indexed version,
        bytes32 root,
        uint64 recordCount,
        uint64 byteSize,
        string metadataURI
    );
    /// @notice The fee paid for a version, and to whom.
    event PublishFeePaid(uint256 indexed datanetId, uint32 indexed version, address indexed payer, uint256 fee, address treasury);
    event FeeParamsUpdated(uint256 baseFee, uint256 feePerRecord);
    event TrainingPolicySet(uint256 indexed datanetId, bool restricted, uint256 licenceFee);
    /// @notice feePaid is 0 for a grant by the owner.
    event TrainingGranted(uint256 indexed datanetId, address indexed account, bool granted, uint256 feePaid);
    event TreasuryUpdated(address treasury);

    error ZeroAddress();
    error EmptyName();
    error EmptyRoot();
    error ZeroRecords();
    error InvalidModality(uint8 modality);
    error UnknownDatanet(uint256 datanetId);
    error UnknownContribution(uint256 datanetId, uint256 contributionId);
    error UnknownVersion(uint256 datanetId, uint32 version);
    error NotDatanetOwner(uint256 datanetId, address account);
    error NotOwnerOrCurator(uint256 datanetId, address account);
    error ContributionAlreadyReviewed(uint256 datanetId, uint256 contributionId);
    error InsufficientFee(uint256 required, uint256 paid);
    error NoLicenceForSale(uint256 datanetId);

    constructor(address admin, address treasury_) {
        if (admin == address(0) || treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNANCE_ROLE, admin);
    }

    // ---------------------------------------------------------------- datanets and curators

    function createDatanet(string calldata name, string calldata metadataURI, uint8 modality)
        external
        returns (uint256 datanetId)
    {
        if (bytes(name).length == 0) revert EmptyName();
        if (modality > uint8(type(Modality).max)) revert InvalidModality(modality);
        datanetId = ++datanetCount;
        Datanet storage d = _datanets[datanetId];
        d.owner = msg.sender;
        d.modality = Modality(modality);
        d.name = name;
        d.metadataURI = metadataURI;
        emit DatanetCreated(datanetId, msg.sender, name, metadataURI, modality);
    }

    /// @notice The owner adds (`enabled`) or removes a curator, who may review and publish.
    function setCurator(uint256 datanetId, address curator, bool enabled) external {
        Datanet storage d = _existing(datanetId);
        if (msg.sender != d.owner) revert NotDatanetOwner(datanetId, msg.sender);
        if (curator == address(0)) revert ZeroAddress();
        _curators[datanetId][curator] = enabled;
        emit CuratorSet(datanetId, curator, enabled);
    }

    // ---------------------------------------------------------------- contributions

    /// @notice Anyone may contribute; contribution ids count from 1 within each datanet.
    function submitContribution(uint256 datanetId, bytes32 contentRoot, uint64 recordCount, string calldata uri)
        external
        returns (uint256 contributionId)
    {
        Datanet storage d = _existing(datanetId);
        if (contentRoot == bytes32(0)) revert EmptyRoot();
        if (recordCount == 0) revert ZeroRecords();
        contributionId = ++d.contributionCount;
        _contributions[datanetId][contributionId] = Contribution({
            contributor: msg.sender,
            status: ContributionStatus.Pending,
            recordCount: recordCount,
            submittedAt: uint64(block.timestamp),
            contentRoot: contentRoot,
            uri: uri
        });
        emit ContributionSubmitted(datanetId, contributionId, msg.sender, contentRoot, recordCount, uri);
    }

    /// @notice Approves or rejects a pending contribution; a decision is final.
    function reviewContribution(uint256 datanetId, uint256 contributionId, bool approve) external {
        _requireOwnerOrCurator(datanetId);
        Contribution storage c = _contributions[datanetId][contributionId];
        if (c.contributor == address(0)) revert UnknownContribution(datanetId, contributionId);
        if (c.status != ContributionStatus.Pending) revert ContributionAlreadyReviewed(datanetId, contributionId);
        c.status = approve ? ContributionStatus.Approved : ContributionStatus.Rejected;
        if (approve) _datanets[datanetId].approvedRecords += c.recordCount;
        emit ContributionReviewed(datanetId, contributionId, approve, msg.sender);
    }

    // ---------------------------------------------------------------- versions

    /// @notice The fee the next version of `datanetId` pays: baseFee plus feePerRecord for each
    /// record of the contributions approved since the last version.
    function versionFee(uint256 datanetId) public view returns (uint256) {
        Datanet storage d = _existing(datanetId);
        return baseFee + feePerRecord * uint256(d.approvedRecords - d.billedRecords);
    }

    /// @notice Publishes the next version (numbered from 1). Pays `versionFee` to the treasury and
    /// refunds whatever was sent above it. recordCount and byteSize are the publisher's description
    /// of the version, recorded as given; the fee does not depend on them.
    function publishVersion(
        uint256 datanetId,
        bytes32 root,
        uint64 recordCount,
        uint64 byteSize,
        string calldata metadataURI
    ) external payable nonReentrant returns (uint32 version) {
        Datanet storage d = _requireOwnerOrCurator(datanetId);
        if (root == bytes32(0)) revert EmptyRoot();
        if (recordCount == 0) revert ZeroRecords();
        uint256 fee = baseFee + feePerRecord * uint256(d.approvedRecords - d.billedRecords);
        if (msg.value < fee) revert InsufficientFee(fee, msg.value);
        d.billedRecords = d.approvedRecords;

        version = ++d.versionCount;
        _versions[datanetId][version] = Version({
            root: root,
            recordCount: recordCount,
            byteSize: byteSize,
            publishedAt: uint64(block.timestamp),
            metadataURI: metadataURI
        });
        emit VersionPublished(datanetId, version, root, recordCount, byteSize, metadataURI);
        emit PublishFeePaid(datanetId, version, msg.sender, fee, treasury);

        if (fee > 0) Address.sendValue(payable(treasury), fee);
        if (msg.value > fee) Address.sendValue(payable(msg.sender), msg.value - fee);
    }

    // ---------------------------------------------------------------- governance

    function setFeeParams(uint256 baseFee_, uint256 feePerRecord_) external onlyRole(GOVERNANCE_ROLE) {
        baseFee = baseFee_;
        feePerRecord = feePerRecord_;
        emit FeeParamsUpdated(baseFee_, feePerRecord_);
    }

    // ---------------------------------------------------------------- training access

    /// @notice The owner restricts (or opens) training on the datanet and sets the licence fee.
    function setTrainingPolicy(uint256 datanetId, bool restricted, uint256 licenceFee) external {
        Datanet storage d = _existing(datanetId);
        if (msg.sender != d.owner) revert NotDatanetOwner(datanetId, msg.sender);
        _training[datanetId] = TrainingPolicy({restricted: restricted, licenceFee: licenceFee});
        emit TrainingPolicySet(datanetId, restricted, licenceFee);
    }

    /// @notice The owner grants (or revokes) `account` the right to train on a restricted datanet.
    function grantTraining(uint256 datanetId, address account, bool granted) external {
        Datanet storage d = _existing(datanetId);
        if (msg.sender != d.owner) revert NotDatanetOwner(datanetId, msg.sender);
        if (account == address(0)) revert ZeroAddress();
        _trainingGrants[datanetId][account] = granted;
        emit TrainingGranted(datanetId, account, granted, 0);
    }

    /// @notice Pays the licence fee to the datanet's owner and grants the sender; the overpayment
    /// is refunded. Refused when the owner sells no licence (licence fee 0 on a restricted datanet).
    function buyTrainingLicence(uint256 datanetId) external payable nonReentrant {
        Datanet storage d = _existing(datanetId);
        TrainingPolicy storage t = _training[datanetId];
        if (!t.restricted || t.licenceFee == 0) revert NoLicenceForSale(datanetId);
        uint256 fee = t.licenceFee;
        if (msg.value < fee) revert InsufficientFee(fee, msg.value);
        _trainingGrants[datanetId][msg.sender] = true;
        emit TrainingGranted(datanetId, msg.sender, true, fee);
        Address.sendValue(payable(d.owner), fee);
        if (msg.value > fee) Address.sendValue(payable(msg.sender), msg.value - fee);
    }

    function setTreasury(address treasury_) external onlyRole(GOVERNANCE_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    // ---------------------------------------------------------------- views

    function getDatanet(uint256 datanetId)
        external
        view
        returns (address owner, string memory name, string memory metadataURI, uint8 modality, uint32 versionCount)
    {
        Datanet storage d = _existing(datanetId);
        return (d.owner, d.name, d.metadataURI, uint8(d.modality), d.versionCount);
    }

    function getVersion(uint256 datanetId, uint32 version)
        external
        view
        returns (bytes32 root, uint64 recordCount, uint64 byteSize, string memory metadataURI, uint64 publishedAt)
    {
        Version storage v = _versions[datanetId][version];
        if (v.root == bytes32(0)) revert UnknownVersion(datanetId, version);
        return (v.root, v.recordCount, v.byteSize, v.metadataURI, v.publishedAt);
    }

    /// @notice The root of a published version, or zero when there is no such version (never reverts).
    function versionRoot(uint256 datanetId, uint32 version) external view returns (bytes32) {
        return _versions[datanetId][version].root;
    }

    /// @notice `status` is 0 pending, 1 approved, 2 rejected.
    function getContribution(uint256 datanetId, uint256 contributionId)
        external
        view
        returns (
            address contributor,
            bytes32 contentRoot,
            uint64 recordCount,
            string memory uri,
            uint8 status,
            uint64 submittedAt
        )
    {
        Contribution storage c = _contributions[datanetId][contributionId];
        if (c.contributor == address(0)) revert UnknownContribution(datanetId, contributionId);
        return (c.contributor, c.contentRoot, c.recordCount, c.uri, uint8(c.status), c.submittedAt);
    }

    function contributionCount(uint256 datanetId) external view returns (uint256) {
        return _existing(datanetId).contributionCount;
    }

    function isCurator(uint256 datanetId, address account) external view returns (bool) {
        return _curators[datanetId][account];
    }

    function trainingPolicy(uint256 datanetId) external view returns (bool restricted, uint256 licenceFee) {
        _existing(datanetId);
        TrainingPolicy storage t = _training[datanetId];
        return (t.restricted, t.licenceFee);
    }

    /// @notice Whether `account` may train on the datanet: it is open, or the account is its owner,
    /// a curator or granted. False for an unknown datanet (never reverts).
    function mayTrain(uint256 datanetId, address account) external view returns (bool) {
        address owner = _datanets[datanetId].owner;
        if (owner == address(0)) return false;
        return !_training[datanetId].restricted || account == owner || _curators[datanetId][account]
            || _trainingGrants[datanetId][account];
    }

    /// @notice Records of approved contributions not yet paid for by a published version.
    function unbilledRecords(uint256 datanetId) external view returns (uint64) {
        Datanet storage d = _existing(datanetId);
        return d.approvedRecords - d.billedRecords;
    }

    // ---------------------------------------------------------------- internals

    function _existing(uint256 datanetId) private view returns (Datanet storage d) {
        d = _datanets[datanetId];
        if (d.owner == address(0)) revert UnknownDatanet(datanetId);
    }

    function _requireOwnerOrCurator(uint256 datanetId) private view returns (Datanet storage d) {
        d = _existing(datanetId);
        if (msg.sender != d.owner && !_curators[datanetId][msg.sender]) {
            revert NotOwnerOrCurator(datanetId, msg.sender);
        }
    }
}
